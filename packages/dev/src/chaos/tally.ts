/**
 * What a fault scenario's outcome is, from plain data (pure; the harness
 * gathers the data). A build is accepted when its submission was answered
 * with an id; every accepted build must end with exactly one Job, exactly one
 * terminal event and event sequences 1..n without gaps.
 */

export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(["build.succeeded", "build.failed", "build.cancelled"]);
const TERMINAL_STATES: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

export interface ObservedBuild {
  id: string;
  /** The record's state; undefined when Redis has no record (lost). */
  state: string | undefined;
  /** Kubernetes Jobs labelled with the build id. */
  jobs: number;
  /** The build's events in order: their type and sequence. */
  events: readonly { type: string; sequence: number }[];
}

export interface Tally {
  scenario: string;
  /** Accepted submissions (answered with an id). */
  submitted: number;
  /** Submissions refused with an error (Redis down): the client knows, nothing to lose. */
  refused: number;
  terminal: number;
  /** Of the terminal builds, those that ended cancelled. */
  cancelled: number;
  lost: number;
  stuck: number;
  /** Builds with more than one Job. */
  duplicateJobs: number;
  /** Builds whose terminal events are not exactly one. */
  terminalEventsNot1: number;
  /** Builds whose event sequences are not 1..n. */
  sequenceGaps: number;
  /** Seconds from the fault to every accepted build terminal (undefined when some never were). */
  secondsToAllTerminal: number | undefined;
  /** Scenarios with an SSE follower: events in Redis it never received, and events it received twice. */
  sseMissing?: number;
  sseDuplicates?: number;
  /** Streams the follower opened (200 answers): more than one means it resumed from Last-Event-ID. */
  sseConnections?: number;
}

/**
 * What an SSE follower got against what the events stream holds for the
 * scenario's builds: every stream entry received (missing 0), none twice
 * (duplicates 0). Entries received that Redis no longer holds are the
 * `appendfsync everysec` window (acknowledged, then lost with the kill), not
 * an error of the stream: counted apart.
 */
export function streamTally(
  inRedis: readonly string[],
  received: readonly string[],
): { missing: number; duplicates: number; notInRedis: number } {
  const got = new Map<string, number>();
  for (const id of received) got.set(id, (got.get(id) ?? 0) + 1);
  const held = new Set(inRedis);
  return {
    missing: inRedis.filter((id) => !got.has(id)).length,
    duplicates: [...got.values()].filter((n) => n > 1).length,
    notInRedis: [...got.keys()].filter((id) => !held.has(id)).length,
  };
}

export function tally(scenario: string, builds: readonly ObservedBuild[], secondsToAllTerminal: number | undefined, refused = 0): Tally {
  let terminal = 0;
  let cancelled = 0;
  let lost = 0;
  let stuck = 0;
  let duplicateJobs = 0;
  let terminalEventsNot1 = 0;
  let sequenceGaps = 0;
  for (const b of builds) {
    if (b.state === undefined) lost++;
    else if (TERMINAL_STATES.has(b.state)) {
      terminal++;
      if (b.state === "cancelled") cancelled++;
    } else stuck++;
    if (b.jobs > 1) duplicateJobs++;
    if (b.state !== undefined && b.events.filter((e) => TERMINAL_EVENT_TYPES.has(e.type)).length !== 1) terminalEventsNot1++;
    if (b.events.some((e, i) => e.sequence !== i + 1)) sequenceGaps++;
  }
  return { scenario, submitted: builds.length, refused, terminal, cancelled, lost, stuck, duplicateJobs, terminalEventsNot1, sequenceGaps, secondsToAllTerminal };
}

const COLUMNS: [keyof Tally, string][] = [
  ["scenario", "scenario"],
  ["submitted", "accepted"],
  ["refused", "refused"],
  ["terminal", "terminal"],
  ["cancelled", "cancelled"],
  ["lost", "lost"],
  ["stuck", "stuck"],
  ["duplicateJobs", ">1 Job"],
  ["terminalEventsNot1", "≠1 terminal"],
  ["sequenceGaps", "seq gaps"],
  ["secondsToAllTerminal", "all terminal (s)"],
  ["sseMissing", "SSE missing"],
  ["sseDuplicates", "SSE dup"],
  ["sseConnections", "SSE streams"],
];

/** Columns only some scenarios fill: "—" where a scenario has no such observation. */
const OPTIONAL: ReadonlySet<keyof Tally> = new Set(["sseMissing", "sseDuplicates", "sseConnections"]);

/** A Markdown table of the rows (what `pnpm chaos` prints and the README quotes). */
export function renderTable(rows: readonly Tally[]): string {
  const cell = (v: Tally[keyof Tally]): string => (v === undefined ? "never" : typeof v === "number" && !Number.isInteger(v) ? v.toFixed(1) : String(v));
  const lines = [`| ${COLUMNS.map(([, h]) => h).join(" | ")} |`, `| ${COLUMNS.map(() => "---").join(" | ")} |`];
  for (const r of rows) lines.push(`| ${COLUMNS.map(([k]) => (OPTIONAL.has(k) && r[k] === undefined ? "—" : cell(r[k]))).join(" | ")} |`);
  return lines.join("\n");
}
