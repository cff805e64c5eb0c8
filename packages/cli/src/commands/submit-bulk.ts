import { createHash } from "node:crypto";
import type { BuildfleetClient, BuildSummary } from "@buildfleet/sdk";
import type { CliIo } from "../context.js";
import { CliExit, describeError, exitCodeFor, type ExitCode } from "../exit-codes.js";
import { asDocument, type OutputFormat } from "../output/print.js";
import type { RequestDoc } from "../request/from-flags.js";

/**
 * `submit -f` with several requests (YAML documents or a list): each is
 * submitted in turn under an idempotency key of its own, so running the same
 * file again returns the same builds instead of starting them twice. One
 * result line per request on stdout; a request the API refuses is reported
 * on stderr and the others still go in; the exit code is the first failure's.
 */

/** The key of request `index` (0-based): the user's key plus the position, else one from the content. */
export function bulkIdempotencyKey(request: RequestDoc, index: number, userKey: string | undefined): string | undefined {
  if (typeof request["idempotencyKey"] === "string") return undefined; // the document keys itself
  if (userKey !== undefined) return `${userKey}.${index + 1}`;
  return `bulk-${createHash("sha256").update(JSON.stringify(request)).digest("hex").slice(0, 40)}`;
}

export async function submitBulk(
  io: CliIo,
  client: BuildfleetClient,
  requests: readonly RequestDoc[],
  options: { idempotencyKey: string | undefined; output: OutputFormat; quiet: boolean; progress: boolean },
): Promise<void> {
  const summaries: BuildSummary[] = [];
  let firstFailure: ExitCode | undefined;
  for (const [i, request] of requests.entries()) {
    const key = bulkIdempotencyKey(request, i, options.idempotencyKey);
    try {
      const summary = await client.submit(request, { ...(key !== undefined ? { idempotencyKey: key } : {}), ...(io.signal ? { signal: io.signal } : {}) });
      summaries.push(summary);
      if (options.progress) io.stderr(`[${i + 1}/${requests.length}] build/${summary.id} ${summary.idempotent ? "exists" : "submitted"}\n`);
      if (options.output === "json" || options.output === "yaml") continue;
      if (options.quiet) io.stdout(`${summary.id}\n`);
      else if (options.output === "name") io.stdout(`build/${summary.id}\n`);
      else io.stdout(`build/${summary.id} ${summary.idempotent ? "exists (same idempotency key)" : "submitted"} (${summary.state}) request ${i + 1}\n`);
    } catch (err) {
      if (io.signal?.aborted) throw err;
      io.stderr(`request ${i + 1} of ${requests.length}: ${describeError(err)}\n`);
      firstFailure ??= exitCodeFor(err);
    }
  }
  if (options.output === "json" || options.output === "yaml") io.stdout(asDocument({ items: summaries }, options.output));
  if (firstFailure !== undefined) {
    throw new CliExit(firstFailure, `${requests.length - summaries.length} of ${requests.length} requests were not submitted`);
  }
}
