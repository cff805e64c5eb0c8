import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { TOKENS, startHarness, type ApiHarness } from "../test-support/harness.js";

const REGISTRY = "registry.internal:5000/team-a";

function imageDoc(name: string, from: string) {
  return {
    apiVersion: "buildfleet.dev/v1",
    kind: "Image",
    metadata: { name },
    spec: { build: { context: { type: "inline", files: {} }, dockerfile: { inline: `FROM ${from}\nRUN true\n` }, destinations: [`${REGISTRY}/${name}:v1`] } },
  };
}

async function layered(h: ApiHarness): Promise<void> {
  for (const doc of [imageDoc("base", "busybox:latest"), imageDoc("runtime", `${REGISTRY}/base:v1`), imageDoc("app", `${REGISTRY}/runtime:v1`)]) {
    const res = await h.inject(TOKENS.teamA, { method: "PUT", url: `/v1/images/${doc.metadata.name}`, payload: doc });
    if (res.statusCode !== 201) throw new Error(res.body);
  }
}

interface WaveBody {
  id: string;
  state: string;
  levels: string[][];
  nodes: { id: string; state: string; buildId: string | null }[];
  counts: Record<string, number>;
}

describe("/v1/rebuilds", () => {
  const redis = useRedis();

  it("answers a dry run with three levels and enqueues nothing", async () => {
    const h = await startHarness(redis);
    await layered(h);

    const res = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "base", dryRun: true } });

    expect(res.statusCode).toBe(200);
    const body = res.json<{ plan: { levels: string[][]; tree: string } }>();
    expect(body.plan.levels).toEqual([["team-a/base"], ["team-a/runtime"], ["team-a/app"]]);
    expect(body.plan.tree).toContain("pinned to new team-a/base");
    expect(await h.queue.count()).toBe(0);
  });

  it("plans zero nodes for a base nothing builds FROM, saying so", async () => {
    const h = await startHarness(redis);
    await layered(h);
    const res = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "docker.io/library/alpine:3.20", dryRun: true } });
    expect(res.json<{ plan: { nodes: unknown[]; warnings: string[] } }>().plan).toMatchObject({ nodes: [], warnings: [expect.stringContaining("no catalog image of tenant team-a builds FROM docker.io/library/alpine:3.20")] });
  });

  it("starts a wave with only its first level enqueued, shows it to its tenant only, and cancels it", async () => {
    const h = await startHarness(redis);
    await layered(h);

    const started = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "base", reason: "CVE fix" } });
    expect(started.statusCode).toBe(201);
    const wave = started.json<WaveBody>();
    expect(wave.nodes.map((n) => n.state)).toEqual(["queued", "pending", "pending"]);
    expect(await h.queue.count()).toBe(1);
    const baseBuild = wave.nodes[0]?.buildId ?? "";
    expect((await h.store.get(baseBuild))?.request.priority).toBe("bulk");

    expect((await h.inject(TOKENS.readOnly, { method: "GET", url: `/v1/rebuilds/${wave.id}` })).json<WaveBody>().id).toBe(wave.id);
    expect((await h.inject(TOKENS.teamB, { method: "GET", url: `/v1/rebuilds/${wave.id}` })).statusCode).toBe(404);
    expect((await h.inject(TOKENS.readOnly, { method: "GET", url: "/v1/rebuilds" })).json<{ items: WaveBody[] }>().items.map((w) => w.id)).toEqual([wave.id]);
    expect((await h.inject(TOKENS.teamB, { method: "GET", url: "/v1/rebuilds" })).json()).toEqual({ items: [] });

    const cancelled = await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/rebuilds/${wave.id}/cancel` });

    expect(cancelled.statusCode).toBe(202);
    expect(cancelled.json<WaveBody>()).toMatchObject({ state: "cancelled", counts: { cancelled: 3 } });
    expect((await h.store.get(baseBuild))?.state).toBe("cancelled");
    expect(await h.queue.count()).toBe(0);
  });

  it("refuses a body with both base and images, and an unknown image", async () => {
    const h = await startHarness(redis);
    await layered(h);
    const both = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "base", images: ["app"] } });
    const unknown = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { images: ["nope"] } });
    const badLimit = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "base", maxInFlight: 0 } });
    expect(both.statusCode).toBe(400);
    expect(unknown.statusCode).toBe(404);
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json<{ error: { issues: { path: string }[] } }>().error.issues[0]?.path).toBe("maxInFlight");
  });

  it("plans over every tenant's images for an admin token, and only the caller's own for a tenant", async () => {
    const h = await startHarness(redis);
    await layered(h);
    // team-b builds FROM team-a's base.
    const other = imageDoc("worker", `${REGISTRY}/base:v1`);
    other.spec.build.destinations = ["registry.internal:5000/team-b/worker:v1"];
    expect((await h.inject(TOKENS.teamB, { method: "PUT", url: "/v1/images/worker", payload: other })).statusCode).toBe(201);
    const plan = async (token: string) =>
      (await h.inject(token, { method: "POST", url: "/v1/rebuilds", payload: { base: `${REGISTRY}/base:v1`, dryRun: true } })).json<{ plan: { nodes: { id: string }[] } }>().plan.nodes.map((n) => n.id);

    expect(await plan(TOKENS.admin)).toEqual(["team-a/runtime", "team-b/worker", "team-a/app"]);
    expect(await plan(TOKENS.teamA)).toEqual(["team-a/runtime", "team-a/app"]);
    expect(await plan(TOKENS.teamB)).toEqual(["team-b/worker"]);
    expect((await h.inject(TOKENS.readOnly, { method: "POST", url: "/v1/rebuilds", payload: { base: "base", dryRun: true } })).statusCode).toBe(403);
  });
});
