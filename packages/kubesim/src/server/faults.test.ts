import { describe, expect, it } from "vitest";
import { FaultInjector } from "./faults.js";

describe("FaultInjector", () => {
  it("fails exactly the next N creates, then lets requests through", () => {
    const f = new FaultInjector();
    f.set({ verbs: { create: { failNext: 2, code: 503 } } });
    const codes = [1, 2, 3].map(() => f.decide("create", "jobs").error?.code);
    expect(codes).toEqual([503, 503, undefined]);
    expect(f.decide("get", "jobs").error).toBeUndefined();
  });

  it("is deterministic for a given seed and rate", () => {
    const run = () => {
      const f = new FaultInjector();
      f.set({ seed: 42, verbs: { "*": { errorRate: 0.5 } } });
      return Array.from({ length: 50 }, () => f.decide("list", "pods").error !== undefined);
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(a.filter(Boolean).length).toBeGreaterThan(10);
    expect(a.filter(Boolean).length).toBeLessThan(40);
  });

  it("answers 429 with retryAfterSeconds and adds latency", () => {
    const f = new FaultInjector();
    f.set({ verbs: { get: { failNext: 1, code: 429, retryAfterSeconds: 7, latencyMs: 25 } } });
    const d = f.decide("get", "jobs");
    expect(d.delayMs).toBe(25);
    expect(d.error?.body).toMatchObject({ code: 429, reason: "TooManyRequests", details: { retryAfterSeconds: 7 } });
  });

  it("answers 403 like RBAC does: reason Forbidden, naming verb, resource and namespace", () => {
    const f = new FaultInjector();
    f.set({ verbs: { create: { failNext: 1, code: 403 } } });
    const d = f.decide("create", "jobs", "buildfleet");
    expect(d.error?.body).toMatchObject({ code: 403, reason: "Forbidden", details: { group: "batch", kind: "jobs" } });
    expect(d.error?.body.message).toMatch(/^jobs\.batch is forbidden: User ".+" cannot create resource "jobs" in API group "batch" in the namespace "buildfleet"$/);
  });

  it("limits faults to the listed resources", () => {
    const f = new FaultInjector();
    f.set({ verbs: { create: { errorRate: 1, resources: ["jobs"] } } });
    expect(f.decide("create", "pods").error).toBeUndefined();
    expect(f.decide("create", "jobs").error?.code).toBe(500);
  });

  it("rejects unknown configuration keys", () => {
    expect(() => new FaultInjector().set({ verbs: { create: { errorRat: 1 } } })).toThrow();
  });
});
