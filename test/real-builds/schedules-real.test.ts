import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildfleetClient, ScheduleRunView } from "@buildfleet/sdk";
import type { LocalStack } from "@buildfleet/dev";
import { pushVariant, readImageConfig, readManifest, realBuildsSkipReason } from "@buildfleet/testkit";
import { startRealStack, type RealStack } from "./real-stack.js";

/**
 * A mirror schedule through the whole stack: API → the worker's scheduler →
 * HEAD on the real registry → kubesim --executor=buildah → the real registry.
 * Fired with `trigger` (a yearly cron never comes due during the test).
 */
const skip = realBuildsSkipReason();
if (skip !== undefined) console.warn(`[schedules-real] skipped: ${skip}`);

const TIMEOUT = 90_000;
let stack: LocalStack;
let client: BuildfleetClient;
let real: RealStack;

async function nextRun(name: string, count: number): Promise<ScheduleRunView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const runs = (await client.schedules.get(name)).status.runs.filter((r) => r.trigger === "manual");
    if (runs.length >= count) return runs[0]!;
    if (Date.now() > deadline) throw new Error(`schedule ${name} has ${runs.length} manual runs, expected ${count}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(skip !== undefined)("mirror schedules on real builds", () => {
  beforeAll(async () => {
    real = await startRealStack("sched-real", ["registry.internal:5000"]);
    ({ stack, client } = real);
  }, TIMEOUT);

  afterAll(async () => {
    await real?.stop();
  });

  it(
    "mirrors busybox pinned to the digest it checked, skips while unchanged, mirrors again after the source moves",
    async () => {
      const registry = stack.realBuilds!.registry;
      const original = await pushVariant(registry.url, "library/busybox", "latest", "sched-src", "v1");
      await client.schedules.apply({
        apiVersion: "buildfleet.dev/v1",
        kind: "Schedule",
        metadata: { name: "busybox-mirror" },
        spec: { cron: "0 0 1 1 *", target: { mirror: { source: `${registry.host}/library/busybox:sched-src`, destinations: ["registry.internal:5000/mirror/sched-busybox:1.0"] } } },
      });

      await client.schedules.trigger("busybox-mirror");
      const first = await nextRun("busybox-mirror", 1);
      expect(first).toMatchObject({ outcome: "built", sourceDigest: original });
      const build = await client.waitFor(first.buildId!, { timeout: TIMEOUT });
      expect(build.events.at(-1)?.type).toBe("build.succeeded");
      const layers = async (r: string, ref: string) => (await readManifest(registry.url, r, ref)).layers.map((l) => l.digest);
      expect(await layers("mirror/sched-busybox", "1.0")).toEqual(await layers("library/busybox", original));
      const labels = async (r: string, ref: string) => ((await readImageConfig(registry.url, r, ref)) as { config?: { Labels?: unknown } }).config?.Labels;
      expect(await labels("mirror/sched-busybox", "1.0")).toEqual(await labels("library/busybox", original));

      await client.schedules.trigger("busybox-mirror");
      const second = await nextRun("busybox-mirror", 2);
      expect(second).toMatchObject({ outcome: "skipped", reason: "unchanged", sourceDigest: original });
      expect(second.buildId).toBeUndefined();

      const moved = await pushVariant(registry.url, "library/busybox", "latest", "sched-src", "v2");
      await client.schedules.trigger("busybox-mirror");
      const third = await nextRun("busybox-mirror", 3);
      expect(third).toMatchObject({ outcome: "built", sourceDigest: moved });
      expect((await client.waitFor(third.buildId!, { timeout: TIMEOUT })).events.at(-1)?.type).toBe("build.succeeded");
    },
    TIMEOUT * 3,
  );
});
