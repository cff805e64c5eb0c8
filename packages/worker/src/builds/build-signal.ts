/**
 * The part of an AbortSignal that runBuild and the worker's retry delay use. An AbortSignal
 * fits (tests pass them); the worker passes a BuildSignal.
 */
export interface StopSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * A one-shot signal for one followed build, several times smaller than an AbortController
 * with its AbortSignal: an AbortSignal is an EventTarget with two Maps, a hidden class of its
 * own and a Listener record per listener (≈ 0.4 KiB with its listener in heap snapshots),
 * and a worker holds two per in-flight build (shutdown, cancel) for a build's whole run,
 * 10,000 builds at a time. Listeners are called once, in the order added, when `abort()` is
 * first called; one that throws does not stop the others (as with an AbortSignal, the error
 * is reported as uncaught, on a later tick).
 */
export class BuildSignal implements StopSignal {
  private done = false;
  /** Usually one (follow's), briefly two (a retry delay after it): an array, not a Set. */
  private listeners: (() => void)[] | undefined;

  get aborted(): boolean {
    return this.done;
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) {
      try {
        listener();
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  addEventListener(_type: "abort", listener: () => void): void {
    if (this.done) return;
    if (this.listeners === undefined) this.listeners = [listener];
    else if (!this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    if (this.listeners === undefined) return;
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
    if (this.listeners.length === 0) this.listeners = undefined;
  }
}
