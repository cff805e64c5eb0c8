import { ApiError, BuildCancelledError, BuildFailedError, ConnectionError, TimeoutError } from "@buildfleet/sdk";

/** Exit codes scripts can rely on; listed in `buildfleet --help`. */
export const EXIT = {
  ok: 0,
  /** The build failed or was cancelled. */
  buildFailed: 1,
  /** Bad flags or arguments, an unreadable request file, or a request the API refused as invalid (400, 422). */
  usage: 2,
  /** The API answered with another error (401, 403, 404, 409, 5xx) or could not be reached. */
  api: 3,
  /** --timeout passed before the build finished (it goes on: `buildfleet wait ID` reattaches). */
  timeout: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the build failed or was cancelled
  2  usage error: bad flags, unreadable request file, or a request the API refused as invalid
     (400; 422 IDEMPOTENCY_KEY_REUSED: the key belongs to another request)
  3  API or connection error (401, 403, 404, 409, 5xx, unreachable)
  4  --timeout passed before the build finished (it goes on; reattach with: buildfleet wait ID)
  130  interrupted (Ctrl-C); a build being waited for goes on

Environment:
  BUILDFLEET_URL, BUILDFLEET_TOKEN   API address and token (flags --server/--token override);
                                     .buildfleet/dev.env (written by \`pnpm dev\`) is read when they are unset`;

/** A mistake in how the CLI was called: exit code 2. */
export class UsageError extends Error {
  readonly code = "USAGE";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Ends a command with this exit code after it has reported the details itself. */
export class CliExit extends Error {
  readonly code = "CLI_EXIT";
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = "CliExit";
  }
}

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CliExit) return err.exitCode;
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof TimeoutError) return EXIT.timeout;
  if (err instanceof BuildFailedError || err instanceof BuildCancelledError) return EXIT.buildFailed;
  // A rebuild wave that did not succeed (commands/rebuild.ts), matched by code to keep this module free of commands.
  if ((err as { code?: unknown } | undefined)?.code === "WAVE_FAILED") return EXIT.buildFailed;
  if (err instanceof ApiError) return err.status === 400 || err.status === 422 ? EXIT.usage : EXIT.api;
  if (err instanceof ConnectionError) return EXIT.api;
  return EXIT.api;
}

/** One or more lines for stderr, without stack traces for errors we expect. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `error: ${err.describe()}`;
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
