import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { BuildfleetClient } from "@buildfleet/sdk";
import { startLocalStack, type LocalStack } from "@buildfleet/dev";
import { uniquePrefix } from "@buildfleet/testkit";

/** The local stack on real builds (kubesim --executor=buildah, a real registry) in a state directory of its own. */
export interface RealStack {
  stack: LocalStack;
  client: BuildfleetClient;
  stop(): Promise<void>;
}

export async function startRealStack(name: string, registries: string[]): Promise<RealStack> {
  const stateDir = await mkdtemp(join(tmpdir(), `buildfleet-${name}-`));
  const stop = async (started?: LocalStack): Promise<void> => {
    await started?.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      redisUrl: inject("redisUrl"),
      prefix: uniquePrefix(),
      stateDir,
      writeEnvFile: false,
      logLevel: (process.env["TEST_LOG_LEVEL"] as "silent" | undefined) ?? "silent",
      registries,
      realBuilds: { volumeRoot: join(stateDir, "volumes") },
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { stack, client: new BuildfleetClient({ baseUrl: stack.url, token: stack.token }), stop: () => stop(stack) };
}
