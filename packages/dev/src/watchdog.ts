import { createProducerConnection, type Redis } from "@buildfleet/shared";

/**
 * What the local stack watches so that `pnpm dev` notices a part dying and
 * says so once, instead of every component logging reconnect errors forever.
 */

export interface Watchdog {
  /** Resolves with one sentence naming what died (the first death only). */
  readonly died: Promise<string>;
  /** Reports a death (e.g. the worker process exited); later reports are ignored. */
  report(what: string): void;
  /** Stops watching: nothing reported after this (the stack is stopping on purpose). */
  close(): Promise<void>;
}

export function createWatchdog(): Watchdog & { watchRedis(url: string): void } {
  let resolveDied!: (what: string) => void;
  const died = new Promise<string>((resolve) => (resolveDied = resolve));
  let done = false;
  const connections: Redis[] = [];
  const report = (what: string): void => {
    if (done) return;
    done = true;
    resolveDied(what);
  };
  return {
    died,
    report,
    /**
     * A connection of its own that gives up after a few quick reconnects
     * (about 1.5 s): its end means Redis is gone, not just a blip.
     */
    watchRedis(url) {
      let lastError = "connection closed";
      const conn = createProducerConnection(url, {
        connectionName: "buildfleet-dev-watchdog",
        retryStrategy: (times) => (times > 5 ? null : 300),
      });
      conn.on("error", (err: Error) => {
        lastError = (err as { code?: string }).code ?? err.message;
      });
      conn.once("end", () => report(`Redis at ${url} stopped answering (${lastError})`));
      connections.push(conn);
    },
    async close() {
      done = true;
      for (const conn of connections) conn.disconnect();
    },
  };
}
