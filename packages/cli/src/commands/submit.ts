import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import { BuildCancelledError, BuildFailedError, TimeoutError, type BuildfleetClient, type BuildView } from "@buildfleet/sdk";
import type { CommandContext } from "../context.js";
import { collect } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { asDocument, parseOutput, queueNote } from "../output/print.js";
import { requestFromFlags, type SubmitFlags } from "../request/from-flags.js";
import { loadRequestFiles, readContextDir } from "../request/load.js";
import { submitBulk } from "./submit-bulk.js";

interface SubmitOptions extends SubmitFlags {
  wait?: boolean;
  logs: boolean;
  timeout: string;
  output?: string;
  quiet?: boolean;
  server?: string;
  token?: string;
}

/** `30m`, `90s`, `1h`, `500ms` → milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(value);
  if (!m) throw new UsageError(`--timeout expects a duration such as 90s, 30m or 2h, got ${JSON.stringify(value)}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}

export function registerSubmit(program: Command, ctx: CommandContext): void {
  program
    .command("submit")
    .description("submit a build from a request file (-f) and/or flags")
    .option("-f, --file <path>", "request as YAML or JSON ('-' reads stdin); several YAML documents or a list submit each")
    .option("--context-dir <dir>", "send a local directory as inline context files (small contexts)")
    .option("--pvc <claim[:path]>", "build from a directory on a PersistentVolumeClaim")
    .option("--git <url>", "build from a git repository")
    .option("--git-ref <ref>", "branch, tag or refs/… (with --git)")
    .option("--git-commit <sha>", "commit to check out (with --git)")
    .option("--sub-path <path>", "directory inside the repository (with --git)")
    .option("--tarball <url>", "build from a .tar.gz context (s3://, gs://, https://)")
    .option("--dockerfile <path>", "Dockerfile path inside the context")
    .option("--dockerfile-inline <text>", "the whole Dockerfile as text (e.g. 'FROM busybox:latest')")
    .option("--target <stage>", "build stage to stop at")
    .option("-d, --destination <image>", "image to push, registry/repository:tag (repeatable)", collect)
    .option("--build-arg <KEY=VALUE>", "build argument (repeatable)", collect)
    .option("-l, --label <KEY=VALUE>", "build label, for filtering with ls -l (repeatable)", collect)
    .option("--image-label <KEY=VALUE>", "OCI image label (repeatable)", collect)
    .option("--secret <name>", "Kubernetes Secret with the registry credentials (docker config.json)")
    .option("--retries <n>", "attempts after the first failure (0-10)")
    .option("--priority <p>", "interactive, normal or bulk")
    .option("--idempotency-key <key>", "submitting the same key again returns the same build")
    .option("--cache", "enable kaniko layer caching")
    .option("--cache-repo <repository>", "registry repository for cached layers")
    .option("-w, --wait", "wait for the build: show state changes and logs, then print the digest")
    .option("--no-logs", "with --wait: do not stream the build log")
    .option("--timeout <duration>", "with --wait: give up waiting after this long", "30m")
    .option("-o, --output <format>", "table, name, json or yaml")
    .option("-q, --quiet", "print only the result: the digest with --wait, else the build id")
    .action(async (_opts: SubmitOptions, command: Command) => {
      const opts = command.optsWithGlobals<SubmitOptions>();
      const output = parseOutput(opts.output);
      const timeoutMs = parseDuration(opts.timeout);
      const { io } = ctx;
      const bases = opts.file !== undefined ? await loadRequestFiles(opts.file, io.cwd, io.readStdin) : [{}];
      const files = opts.contextDir !== undefined ? await readContextDir(opts.contextDir, io.cwd) : undefined;
      if (bases.length > 1) {
        if (opts.wait) throw new UsageError(`--wait takes one request; ${opts.file} holds ${bases.length}. Submit, then: buildfleet wait ID…`);
        const requests = bases.map((b) => requestFromFlags(opts, b, files));
        const client = await ctx.client(opts);
        await submitBulk(io, client, requests, { idempotencyKey: opts.idempotencyKey, output, quiet: opts.quiet ?? false, progress: io.stderrIsTTY ?? false });
        return;
      }
      const request = requestFromFlags(opts, bases[0] ?? {}, files);
      const client = await ctx.client(opts);
      // A --wait run keys its submit even when the user gave no key: the SDK then may repeat it
      // after a 429 without risking a second build.
      const idempotencyKey = opts.idempotencyKey ?? (opts.wait && request["idempotencyKey"] === undefined ? `cli-${randomUUID()}` : undefined);
      const summary = await client.submit(request, {
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      const what = summary.idempotent ? "exists (same idempotency key)" : "submitted";
      const position = queueNote(summary);
      if (!opts.wait) {
        if (opts.quiet) io.stdout(`${summary.id}\n`);
        else if (output === "json" || output === "yaml") io.stdout(asDocument(summary, output));
        else if (output === "name") io.stdout(`build/${summary.id}\n`);
        else io.stdout(`build/${summary.id} ${what} (${summary.state}${position})\n`);
        return;
      }
      // Progress goes to stderr so that stdout holds only the result (a digest, or -o json).
      if (!opts.quiet) io.stderr(`build/${summary.id} ${what} (${summary.state}${position})\n`);
      let build: BuildView;
      try {
        build = await waitAndStream(ctx, client, summary.id, summary.state, timeoutMs, opts.logs);
      } catch (err) {
        // The build goes on without us: say how to pick it up again.
        if (err instanceof TimeoutError || io.signal?.aborted) io.stderr(reattachHint(summary.id, err instanceof TimeoutError ? `did not finish within ${opts.timeout}` : "interrupted"));
        throw err;
      }
      if (opts.quiet) io.stdout(`${build.digest ?? ""}\n`);
      else if (output === "json" || output === "yaml") io.stdout(asDocument(build, output));
      else if (output === "name") io.stdout(`build/${build.id}\n`);
      else io.stdout(`build/${build.id} succeeded\ndigest: ${build.digest ?? "<none>"}\n`);
    });
}

/** What to tell a user whose wait ended while the build goes on. */
export function reattachHint(id: string, why: string): string {
  return `build/${id} ${why}; it keeps going. Reattach with: buildfleet wait ${id}   (log: buildfleet logs -f ${id})\n`;
}

/** Follows the build's state (and log, if asked) until it ends; throws the SDK's typed errors. */
async function waitAndStream(
  ctx: CommandContext,
  client: BuildfleetClient,
  id: string,
  submittedState: string,
  timeoutMs: number,
  logs: boolean,
): Promise<BuildView> {
  const { io } = ctx;
  let last = submittedState;
  const stopLogs = new AbortController();
  const onAbort = (): void => stopLogs.abort();
  io.signal?.addEventListener("abort", onAbort, { once: true });
  const logTask = logs
    ? (async () => {
        for await (const line of client.logs(id, { follow: true, signal: stopLogs.signal })) io.stderr(`  | ${line}\n`);
      })().catch(() => undefined) // The log is a courtesy: the outcome comes from the build record.
    : Promise.resolve();
  try {
    return await client.waitFor(id, {
      timeout: timeoutMs,
      ...(io.signal ? { signal: io.signal } : {}),
      onState: (b) => {
        if (b.state === last) return; // Already shown with "submitted (…)".
        last = b.state;
        io.stderr(`build/${id} ${b.state}${b.jobName ? ` (job ${b.jobName})` : ""}\n`);
      },
    });
  } catch (err) {
    // Timed out or interrupted: the build may go on, and so would its log; stop reading now.
    // A failed build's log ends by itself, and its last lines say why: keep the grace for those.
    if (!(err instanceof BuildFailedError || err instanceof BuildCancelledError)) stopLogs.abort();
    throw err;
  } finally {
    // Let the log stream deliver its last lines (it ends by itself once the build is finished), bounded.
    const grace = setTimeout(() => stopLogs.abort(), 3_000);
    await logTask;
    clearTimeout(grace);
    io.signal?.removeEventListener("abort", onAbort);
  }
}
