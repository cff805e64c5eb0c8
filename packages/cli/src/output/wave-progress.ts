import type { WaveView } from "@buildfleet/sdk";

/**
 * `rebuild --wait` progress, per level: done / running / queued / failed /
 * skipped. On a terminal, one bar per level redrawn in place; otherwise plain
 * lines, printed only for the levels whose counts changed, so a CI log holds
 * each change once instead of a screen per poll.
 */

export interface LevelProgress {
  level: number;
  total: number;
  done: number;
  running: number;
  queued: number;
  failed: number;
  /** Skipped and cancelled: they will not be built by this wave (retry builds them). */
  skipped: number;
}

export function levelProgress(wave: WaveView): LevelProgress[] {
  return wave.levels.map((ids, level) => {
    const nodes = wave.nodes.filter((n) => n.level === level);
    const count = (...states: string[]) => nodes.filter((n) => states.includes(n.state)).length;
    return {
      level,
      total: ids.length,
      done: count("succeeded"),
      running: count("running"),
      queued: count("queued"),
      failed: count("failed"),
      skipped: count("skipped", "cancelled"),
    };
  });
}

const counts = (p: LevelProgress) => `${p.done}/${p.total} done, ${p.running} running, ${p.queued} queued, ${p.failed} failed, ${p.skipped} skipped`;

/** A plain line for a level (no escape codes). */
export function progressLine(waveId: string, p: LevelProgress): string {
  return `${waveId} level ${p.level}: ${counts(p)}`;
}

export const BAR_WIDTH = 24;

/** `[####====....]`: done, then failed and skipped (finished, not built), then what is left. */
export function progressBar(p: LevelProgress, width = BAR_WIDTH): string {
  if (p.total === 0) return `[${" ".repeat(width)}]`;
  const done = Math.round((p.done / p.total) * width);
  const over = Math.min(width - done, Math.round(((p.failed + p.skipped) / p.total) * width));
  return `[${"#".repeat(done)}${"x".repeat(over)}${".".repeat(width - done - over)}]`;
}

/** A terminal line for a level: its bar, then its counts. */
export function barLine(p: LevelProgress, width = BAR_WIDTH): string {
  const pct = p.total === 0 ? 100 : Math.floor((p.done / p.total) * 100);
  return `level ${p.level} ${progressBar(p, width)} ${String(pct).padStart(3)}%  ${counts(p)}`;
}

/** Moves the cursor to the start of the line `n` lines up; clears a line. */
const UP = (n: number) => `\x1b[${n}F`;
const CLEAR = "\x1b[2K";

export interface ProgressPrinter {
  /** Shows the wave's progress (called when its counts changed). */
  update(wave: WaveView): void;
}

/** The progress printer for `write` (stderr): bars redrawn in place on a TTY, changed levels as plain lines otherwise. */
export function progressPrinter(write: (text: string) => void, tty: boolean): ProgressPrinter {
  let drawn = 0;
  const last = new Map<number, string>();
  return {
    update(wave) {
      const levels = levelProgress(wave);
      if (tty) {
        const lines = [`rebuild/${wave.id} ${wave.state}`, ...levels.map((p) => barLine(p))];
        write(`${drawn > 0 ? UP(drawn) : ""}${lines.map((l) => `${CLEAR}${l}\n`).join("")}`);
        drawn = lines.length;
        return;
      }
      const changed = levels.filter((p) => last.get(p.level) !== counts(p));
      for (const p of changed) last.set(p.level, counts(p));
      if (changed.length > 0) write(changed.map((p) => `${progressLine(wave.id, p)}\n`).join(""));
    },
  };
}

/** Every node succeeded: the one outcome `rebuild --wait` exits 0 for (an empty wave included). */
export function everyNodeSucceeded(wave: WaveView): boolean {
  return wave.state === "succeeded" && wave.nodes.every((n) => n.state === "succeeded");
}
