import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { startStack, volumeRequest, type Stack } from "../test-support/stack.js";

/** MODE=slow builds run about 3 s (kubesim at 100×). */
const SLOW = { kubesim: { scenario: [{ match: { args: "slow" }, attempts: [{ succeed: { afterMs: 300_000 } }] }] } };
const slow = volumeRequest({ buildArgs: { MODE: "slow" } });

/** Waiting build ids in admission order: BullMQ's prioritized set, lowest score first. */
async function admissionOrder(stack: Stack, conn: ReturnType<ReturnType<typeof useRedis>["connection"]>): Promise<string[]> {
  return conn.zrange(stack.queue.toKey("prioritized"), "0", "-1");
}

describe("lanes: fair share between tenants inside a lane", () => {
  const redis = useRedis();

  it("interleaves two flooding tenants by weight in the admission order", async () => {
    const stack = await startStack(redis);
    const a: string[] = [];
    const b: string[] = [];
    for (let i = 0; i < 30; i++) a.push((await stack.submit(slow, "team-a", 1)).id);
    for (let i = 0; i < 30; i++) b.push((await stack.submit(slow, "team-b", 2)).id);
    const order = await admissionOrder(stack, redis.connection());
    const first = order.slice(0, 30);
    // Weights 1:2 → of the first 30 admissions, 10 are team-a's and 20 team-b's, each tenant in its own order.
    expect(first.filter((id) => a.includes(id))).toHaveLength(10);
    expect(first.filter((id) => b.includes(id))).toEqual(b.slice(0, 20));
    // Interactive builds go before every normal one however late they come.
    const urgent = await stack.submit({ ...slow, priority: "interactive" }, "team-c");
    expect((await admissionOrder(stack, redis.connection()))[0]).toBe(urgent.id);
  });

  it("starts another tenant's first build in the next free slot behind a 20-build flood", async () => {
    const stack = await startStack(redis, { ...SLOW, env: { WORKER_CONCURRENCY: "2" } });
    const worker = await stack.startWorker();
    const flood = [];
    for (let i = 0; i < 20; i++) flood.push(await stack.submit(slow, "team-a"));
    await expect.poll(() => worker.worker.inFlightBuilds().length, { timeout: 15_000 }).toBe(2);

    const first = await stack.submit(slow, "team-b");
    await stack.waitForEvent(first.id, (e) => e.type === "build.running", 30_000);
    const started = (await Promise.all(flood.map(async (b) => (await stack.store.get(b.id))?.state))).filter((s) => s !== "queued");
    // The two running when it came, plus at most the one whose slot it then waited for.
    expect(started.length).toBeLessThanOrEqual(3);
  });
});
