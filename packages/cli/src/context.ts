import { BuildfleetClient, type FetchLike } from "@buildfleet/sdk";
import { readDevEnv, resolveConnection, type ConnectionFlags } from "./config/connection.js";
import { cliVersion } from "./version.js";

/** Everything a command touches outside itself, so tests run the CLI in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Where relative paths (-f, --context-dir) and .buildfleet/dev.env are looked up. */
  cwd: string;
  readStdin: () => Promise<string>;
  /** stderr is a terminal: progress lines are worth printing. */
  stderrIsTTY?: boolean;
  /** How often `--wait` commands that poll ask again (default: the SDK's); tests shorten it. */
  pollIntervalMs?: number;
  /** Aborted on Ctrl-C: long-running commands (submit --wait, logs -f, events) stop. */
  signal?: AbortSignal;
  fetch?: FetchLike;
  /** Asks a yes/no question on a terminal (bulk cancel/retry); absent when stdin is not one. */
  confirm?: (question: string) => Promise<boolean>;
}

export interface CommandContext {
  io: CliIo;
  client(flags: ConnectionFlags): Promise<BuildfleetClient>;
}

export function commandContext(io: CliIo): CommandContext {
  return {
    io,
    async client(flags) {
      const conn = resolveConnection(flags, io.env, await readDevEnv(io.cwd));
      return new BuildfleetClient({
        baseUrl: conn.url,
        ...(conn.token !== undefined ? { token: conn.token } : {}),
        ...(io.fetch ? { fetch: io.fetch } : {}),
        userAgent: `buildfleet-cli/${cliVersion()}`,
      });
    },
  };
}

/** A repeatable option's collector (`--destination a --destination b`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
