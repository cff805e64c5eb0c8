import type { BuildfleetClient, BuildRecord } from "@buildfleet/sdk";
import type { CliIo } from "../context.js";
import { printBuilds, type OutputFormat } from "../output/print.js";

/**
 * `-w/--watch` on status and ls, like `kubectl get -w`: after the first
 * listing, one more row (without headers) each time a shown build changes
 * state. status -w ends when its build ended; ls -w runs until Ctrl-C.
 * Rows come from a fresh read of the build on each of its events, so the row
 * is the record's truth, not the event's (changes quicker than a read fold into one row).
 */

const TERMINAL: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

export async function watchBuilds(
  io: CliIo,
  client: BuildfleetClient,
  options: {
    buildId?: string;
    /** All builds: replay the event stream from this id (taken before the listing), so no change between the listing and the stream is lost. */
    since?: string;
    format: OutputFormat;
    matches?: (b: BuildRecord) => boolean;
    shown: Map<string, string>;
  },
): Promise<void> {
  const row = (b: BuildRecord): string => (options.format === "name" ? `build/${b.id}\n` : printBuilds([b], options.format, false, { headers: false }));
  try {
    // One build: its history then new events (nothing lost between the first read and the
    // stream), ending after its terminal event. All builds: events from `since` until Ctrl-C;
    // a replayed event of a change the listing already showed prints nothing (same state).
    const events =
      options.buildId !== undefined ? { buildId: options.buildId } : { follow: true, ...(options.since !== undefined ? { since: options.since } : {}) };
    for await (const e of client.events({ ...events, ...(io.signal ? { signal: io.signal } : {}) })) {
      const id = e.event.subject;
      const build = await client.get(id, io.signal ? { signal: io.signal } : {});
      if (options.matches && !options.matches(build)) continue;
      if (options.shown.get(id) !== build.state) {
        options.shown.set(id, build.state);
        io.stdout(row(build));
      }
      if (options.buildId !== undefined && TERMINAL.has(build.state)) return;
    }
  } catch (err) {
    if (!io.signal?.aborted) throw err; // Ctrl-C ends a watch normally.
  }
}
