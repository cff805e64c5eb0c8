import { TenantCapStore } from "@buildfleet/shared";
import { isTerminalState } from "@buildfleet/contract";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { startStack, volumeRequest } from "../test-support/stack.js";

/** MODE=slow builds run about 3 s (kubesim at 100×). */
const SLOW = { kubesim: { scenario: [{ match: { args: "slow" }, attempts: [{ succeed: { afterMs: 300_000 } }] }] } };
const slow = volumeRequest({ buildArgs: { MODE: "slow" } });

describe("lanes: per-tenant maxRunning across the fleet", () => {
  const redis = useRedis();

  it("never runs more of a tenant's builds than its maxRunning, on two workers, while others run beside", async () => {
    const stack = await startStack(redis, { ...SLOW, env: { WORKER_CONCURRENCY: "3" } });
    await new TenantCapStore(redis.connection(), stack.ks).publish("team-a", 2);
    await stack.startWorker({ workerId: "w1" });
    await stack.startWorker({ workerId: "w2" });
    const capped = [];
    for (let i = 0; i < 8; i++) capped.push(await stack.submit(slow, "team-a"));
    const other = await stack.submit(slow, "team-b");

    let most = 0;
    // Bounded sampling: 60 samples, 150 ms apart.
    for (let i = 0; i < 60; i++) {
      const states = await Promise.all(capped.map(async (b) => (await stack.store.get(b.id))?.state ?? "queued"));
      const running = states.filter((s) => s !== "queued" && !isTerminalState(s)).length;
      most = Math.max(most, running);
      expect(running).toBeLessThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(most).toBe(2);
    // The other tenant was not held back by team-a's cap.
    expect((await stack.waitForTerminal(other.id, 20_000)).state).toBe("succeeded");
  });
});
