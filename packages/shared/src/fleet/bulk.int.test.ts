import { Queue } from "bullmq";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { BuildStore } from "../builds/build-store.js";
import { keyspace } from "../redis/keyspace.js";
import { submitBuild } from "../queue/submit.js";
import { bulkCancel, bulkRetry, retryKey } from "./bulk.js";
import { parseBuildRequest } from "../contract/index.js";

const request = parseBuildRequest({
  context: { type: "volume", claimName: "kaniko-workspace", path: "my-build" },
  destinations: ["registry.internal:5000/team/app:v1.0.0"],
  registryCredentials: { secretName: "regcred" },
  labels: { team: "payments" },
}, { tagPolicy: "require-versioned" });

describe("bulk operations survive a crash half-way", () => {
  const redis = useRedis();
  const setup = () => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    const store = new BuildStore({ redis: conn, keyspace: ks, source: "/test" });
    const queue = redis.track(new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix }));
    const submit = async () => {
      const res = await submitBuild({ store, queue, tagPolicy: "require-versioned" }, { tenant: "team-a", request });
      if (!res.created) throw new Error("expected a new build");
      return res.record.id;
    };
    return { ks, conn, store, queue, submit };
  };
  const options = { dryRun: false, all: true, max: 100, by: "test" };

  it("a bulk cancel that died after some builds, run again, cancels the rest: one build.cancelled each", async () => {
    const { ks, conn, store, queue, submit } = setup();
    const ids = await Promise.all(Array.from({ length: 30 }, () => submit()));
    // Redis goes away after 5 removals: the request fails half-way.
    let removals = 0;
    const flaky = new Proxy(queue, {
      get(target, prop, receiver) {
        if (prop === "remove") {
          return async (id: string) => {
            if (++removals > 5) throw new Error("connection lost");
            return target.remove(id);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    await expect(bulkCancel({ redis: conn, ks, store, queue: flaky }, { tenant: "team-a", states: ["queued"] }, options)).rejects.toThrow(/connection lost/);

    const again = await bulkCancel({ redis: conn, ks, store, queue }, { tenant: "team-a", labels: { team: "payments" } }, options);

    expect(again.skipped).toBe(0);
    for (const id of ids) {
      const events = await store.events(id);
      expect(events.filter((e) => e.type === "build.cancelled")).toHaveLength(1);
      expect((await store.get(id))?.state).toBe("cancelled");
    }
    expect(await queue.count()).toBe(0);
  });

  it("a bulk retry that died half-way, run again, creates only the missing retries", async () => {
    const { ks, conn, store, queue, submit } = setup();
    const ids = await Promise.all(Array.from({ length: 10 }, () => submit()));
    for (const id of ids) {
      await queue.remove(id);
      await store.transition(id, {
        to: "failed",
        patch: () => ({ failure: { reason: "BackoffLimitExceeded", message: "RUN exited 1" } }),
        event: { type: "build.failed", data: (r) => ({ buildId: r.id, reason: "BackoffLimitExceeded", message: "RUN exited 1", attempts: 1 }) },
      });
    }
    const resubmit = (record: { id: string; tenant: string; request: typeof request }) =>
      submitBuild(
        { store, queue, tagPolicy: "require-versioned" },
        { tenant: record.tenant, request: parseBuildRequest({ ...record.request, idempotencyKey: undefined }, { tagPolicy: "require-versioned" }), idempotencyKey: retryKey(record.id), retryOf: record.id },
      );
    let calls = 0;
    await expect(
      bulkRetry({ redis: conn, ks }, { tenant: "team-a", states: ["failed"] }, options, async (r) => {
        if (++calls > 4) throw new Error("connection lost");
        return resubmit(r);
      }),
    ).rejects.toThrow(/connection lost/);
    const createdBefore = await queue.count();
    expect(createdBefore).toBeGreaterThan(0);
    expect(createdBefore).toBeLessThan(10);

    await bulkRetry({ redis: conn, ks }, { tenant: "team-a", states: ["failed"] }, options, (r) => resubmit(r));

    expect(await queue.count()).toBe(10);
    for (const id of ids) expect(await store.findByIdempotencyKey("team-a", retryKey(id))).toBeDefined();
  });
});
