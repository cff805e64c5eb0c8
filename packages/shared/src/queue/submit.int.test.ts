import { Queue } from "bullmq";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { BuildStore } from "../builds/build-store.js";
import { ValidationError } from "../errors/index.js";
import { keyspace } from "../redis/keyspace.js";
import { BUILD_JOB_NAME } from "./build-queue.js";
import { createOptionsForQueuedBuild, recordForQueuedBuild, submitBuild, type SubmitDeps } from "./submit.js";
import { parseBuildRequest, type QueuedBuild } from "../contract/index.js";

const raw = {
  context: { type: "volume", claimName: "kaniko-workspace", path: "my-build" },
  destinations: ["registry.internal:5000/team/app:v1.0.0", "registry.internal:5000/team/app:latest"],
  registryCredentials: { secretName: "regcred" },
};
// Validated once, as the API route does before it submits.
const request = parseBuildRequest(raw, { tagPolicy: "require-versioned" });

describe("submitBuild", () => {
  const redis = useRedis();
  const deps = (): SubmitDeps & { queue: Queue } => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    return {
      store: new BuildStore({ redis: conn, keyspace: ks, source: "/test" }),
      queue: redis.track(new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix })),
      tagPolicy: "require-versioned",
    };
  };

  it("records the build as queued and adds it to the queue under its id", async () => {
    const d = deps();
    const res = await submitBuild(d, { tenant: "team-a", request });

    expect(res.created).toBe(true);
    const id = res.created ? res.record.id : "";
    const job = await d.queue.getJob(id);
    expect(job?.name).toBe(BUILD_JOB_NAME);
    expect((job?.data as QueuedBuild).request.destinations).toEqual(request.destinations);
    expect((await d.store.events(id)).map((e) => e.type)).toEqual(["build.queued"]);
  });

  it("answers a repeated idempotency key with the first build and enqueues nothing", async () => {
    const d = deps();
    const first = await submitBuild(d, { tenant: "team-a", request, idempotencyKey: "release-1.0.0" });
    const second = await submitBuild(d, { tenant: "team-a", request, idempotencyKey: "release-1.0.0" });
    const otherTenant = await submitBuild(d, { tenant: "team-b", request, idempotencyKey: "release-1.0.0" });

    expect(second).toMatchObject({ created: false, buildId: first.created ? first.record.id : "" });
    expect(otherTenant.created).toBe(true);
    expect(await d.queue.count()).toBe(2);
  });

  it("writes nothing for an invalid request and names the field", async () => {
    const d = deps();
    // The boundary (parse, then submit) refuses it before anything is written.
    const err = await Promise.resolve()
      .then(() =>
        submitBuild(d, { tenant: "team-a", request: parseBuildRequest({ ...raw, destinations: ["team app:v1"] }, { tagPolicy: "require-versioned" }) }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.path).toBe("destinations[0]");
    expect(await d.queue.count()).toBe(0);
    expect(await redis.connection().keys(`${redis.prefix}:build:*`)).toEqual([]);
  });

  it("keeps the build when a worker took the entry and created its record first", async () => {
    const d = deps();
    // A worker so fast it creates the record between the two writes.
    const racingQueue = {
      add: async (name: string, data: QueuedBuild, opts: object) => {
        const job = await d.queue.add(name, data, opts);
        await d.store.create(recordForQueuedBuild(data));
        return job;
      },
      remove: (id: string) => d.queue.remove(id),
    } as unknown as Queue;

    const res = await submitBuild({ ...d, queue: racingQueue }, { tenant: "team-a", request, idempotencyKey: "k1" });

    expect(res.created).toBe(true);
    const id = res.created ? res.record.id : "";
    expect(await d.queue.getJob(id)).toBeDefined();
    // The idempotency key still points at it.
    expect(await submitBuild(d, { tenant: "team-a", request, idempotencyKey: "k1" })).toMatchObject({ created: false, buildId: id });
  });

  it("answers a retry with the build a worker recorded from the entry of a submit that died before its record", async () => {
    const d = deps();
    const withBodyKey = { ...request, idempotencyKey: "body-key" };
    // The process dies right after the add: the entry is all there is.
    const dying = {
      add: async (name: string, data: QueuedBuild, opts: object) => {
        await d.queue.add(name, data, opts);
        throw new Error("process died");
      },
      remove: () => Promise.resolve(0),
    } as unknown as Queue;
    await expect(submitBuild({ ...d, queue: dying }, { tenant: "team-a", request: withBodyKey, idempotencyKey: "header-key" })).rejects.toThrow(/died/);
    const [job] = await d.queue.getJobs(["prioritized", "wait"]);
    const entry = job?.data as QueuedBuild;
    // The header's key overrides the body's, on the entry as on the record.
    expect(entry.request.idempotencyKey).toBe("header-key");

    // A worker takes the entry and records it, as its submit would have.
    expect((await d.store.create(recordForQueuedBuild(entry), createOptionsForQueuedBuild(entry))).created).toBe(true);

    expect(await submitBuild(d, { tenant: "team-a", request: withBodyKey, idempotencyKey: "header-key" })).toMatchObject({ created: false, buildId: entry.buildId });
    expect((await submitBuild(d, { tenant: "team-a", request: withBodyKey })).created).toBe(true);
  });

  it("writes no record when the queue entry cannot be added", async () => {
    const d = deps();
    const broken = {
      add: () => Promise.reject(new Error("Redis went away")),
      remove: () => Promise.resolve(0),
    } as unknown as Queue;
    await expect(submitBuild({ ...d, queue: broken }, { tenant: "team-a", request })).rejects.toThrow(/went away/);
    expect(await redis.connection().keys(`${redis.prefix}:build:*`)).toEqual([]);
  });
});
