import { describe, expect, it } from "vitest";
import { runScenario } from "./scenarios.js";

// The `pnpm chaos` scenarios at small size: exactness, never timing.
const exact = { lost: 0, stuck: 0, duplicateJobs: 0, terminalEventsNot1: 0, sequenceGaps: 0 };

describe("fault scenarios at small size", () => {
  it("worker SIGKILL with builds in flight across two workers: none lost, stuck or duplicated; one terminal event each", async () => {
    const t = await runScenario("worker-sigkill", { builds: 40, timeoutMs: 90_000 });
    expect(t).toMatchObject({ submitted: 40, terminal: 40, ...exact });
  }, 150_000);

  it("worker SIGKILL while submissions arrive: every build ends exactly once with one Job", async () => {
    const t = await runScenario("worker-sigkill-submitting", { builds: 40, timeoutMs: 90_000 });
    expect(t).toMatchObject({ submitted: 40, terminal: 40, ...exact });
  }, 150_000);

  it("Redis SIGKILL and restart with AOF everysec: every accepted build ends exactly once", async () => {
    const t = await runScenario("redis-sigkill", { builds: 40, timeoutMs: 90_000 });
    expect(t.submitted).toBeGreaterThanOrEqual(20);
    expect(t).toMatchObject({ terminal: t.submitted, ...exact });
  }, 150_000);

  it("an SSE client following events across a Redis SIGKILL and restart gets every event after reconnecting, none twice", async () => {
    const t = await runScenario("redis-sigkill-sse", { builds: 40, timeoutMs: 90_000 });
    expect(t.submitted).toBeGreaterThanOrEqual(20);
    expect(t).toMatchObject({ terminal: t.submitted, ...exact, sseMissing: 0, sseDuplicates: 0 });
    // It did reconnect (its connection was dropped during the outage) and resumed from its Last-Event-ID.
    expect(t.sseConnections).toBeGreaterThanOrEqual(2);
  }, 150_000);

  it("kubesim 5xx, 429, dropped watches, 410s and a restart: every build ends exactly once with one Job", async () => {
    const t = await runScenario("kubesim-faults", { builds: 30, timeoutMs: 90_000 });
    expect(t).toMatchObject({ submitted: 30, terminal: 30, ...exact });
  }, 150_000);

  it("two workers racing with double cancels on queued, starting and running builds: each ends once", async () => {
    const t = await runScenario("cancel-race", { builds: 30, timeoutMs: 90_000 });
    expect(t).toMatchObject({ submitted: 30, terminal: 30, ...exact });
    // Only the 15 builds cancelled can end cancelled; the first third of them were still queued.
    expect(t.cancelled).toBeGreaterThanOrEqual(5);
    expect(t.cancelled).toBeLessThanOrEqual(15);
  }, 150_000);
});
