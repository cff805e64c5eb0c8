import { Queue } from "bullmq";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { newBuildId, parseBuildRequest, type BuildRecord } from "../contract/index.js";
import { keyspace } from "../redis/keyspace.js";
import { submitBuild } from "../queue/submit.js";
import { queuePosition } from "../queue/queue-position.js";
import { BuildStore } from "./build-store.js";
import { listBuilds, type ListPosition } from "./build-list.js";

const request = {
  context: { type: "volume", claimName: "ws", path: "app" },
  destinations: ["registry.internal:5000/team/app:v1"],
};

describe("listBuilds", () => {
  const redis = useRedis();

  async function seed(count: number, tenantOf: (i: number) => string, sameMs = false): Promise<BuildRecord[]> {
    const ks = keyspace(redis.prefix);
    const store = new BuildStore({ redis: redis.connection(), keyspace: ks, source: "/test" });
    const out: BuildRecord[] = [];
    for (let i = 0; i < count; i++) {
      const ms = sameMs ? 1_700_000_000_000 : 1_700_000_000_000 + i;
      const time = new Date(ms).toISOString();
      const record: BuildRecord = {
        id: newBuildId({ now: ms }),
        tenant: tenantOf(i),
        state: "queued",
        request: { ...parseBuildRequest(request), labels: { n: String(i % 3) } },
        labels: { n: String(i % 3) },
        attempts: [],
        createdAt: time,
        updatedAt: time,
        sequence: 1,
      };
      const res = await store.create(record);
      if (res.created) out.push(res.record);
    }
    return out;
  }

  async function all(query: { tenant?: string; labels?: Record<string, string>; limit: number }): Promise<string[]> {
    const ks = keyspace(redis.prefix);
    const ids: string[] = [];
    let after: ListPosition | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await listBuilds(redis.connection(), ks, { ...query, ...(after ? { after } : {}) });
      ids.push(...res.items.map((r) => r.id));
      if (!res.next) return ids;
      after = res.next;
    }
    throw new Error("too many pages");
  }

  it("pages newest first through every build exactly once", async () => {
    const seeded = await seed(25, () => "team-a");
    const ids = await all({ limit: 7 });
    expect(ids).toEqual(seeded.map((r) => r.id).reverse());
  });

  it("does not lose or repeat builds created in the same millisecond across pages", async () => {
    const seeded = await seed(12, () => "team-a", true);
    const ids = await all({ limit: 5 });
    expect(new Set(ids).size).toBe(12);
    expect([...ids].sort()).toEqual(seeded.map((r) => r.id).sort());
  });

  it("returns only the tenant's builds matching the labels", async () => {
    const seeded = await seed(12, (i) => (i % 2 === 0 ? "team-a" : "team-b"));
    const ids = await all({ tenant: "team-b", labels: { n: "1" }, limit: 2 });
    const expected = seeded.filter((r) => r.tenant === "team-b" && r.labels["n"] === "1").map((r) => r.id).reverse();
    expect(expected.length).toBeGreaterThan(0);
    expect(ids).toEqual(expected);
  });

  it("returns a short page with a position when the scan budget runs out", async () => {
    await seed(10, () => "team-a");
    const ks = keyspace(redis.prefix);
    const res = await listBuilds(redis.connection(), ks, { tenant: "nobody", limit: 5, scanBudget: 4 });
    expect(res.items).toEqual([]);
    expect(res.next).toBeDefined();
  });
});

describe("queuePosition", () => {
  const redis = useRedis();

  it("counts builds ahead by priority, then arrival, and is undefined once taken off the queue", async () => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    const deps = {
      store: new BuildStore({ redis: conn, keyspace: ks, source: "/test" }),
      queue: redis.track(new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix })),
      tagPolicy: "require-versioned" as const,
    };
    const id = async (priority: string): Promise<string> => {
      const res = await submitBuild(deps, { tenant: "t", request: parseBuildRequest({ ...request, priority }, deps) });
      return res.created ? res.record.id : "";
    };
    const first = await id("normal");
    const second = await id("normal");
    const urgent = await id("interactive");
    expect(await queuePosition(conn, ks, urgent)).toBe(1);
    expect(await queuePosition(conn, ks, first)).toBe(2);
    expect(await queuePosition(conn, ks, second)).toBe(3);
    await deps.queue.remove(first);
    expect(await queuePosition(conn, ks, first)).toBeUndefined();
    expect(await queuePosition(conn, ks, second)).toBe(2);
  });
});
