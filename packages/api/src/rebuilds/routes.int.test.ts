import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { DryRunAnswer, WaveList, WaveView, type RebuildEvent } from "@buildfleet/contract";
import { REQUEST, TOKENS, startHarness, type ApiHarness } from "../test-support/harness.js";
import { openStream } from "../test-support/stream-client.js";

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

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

/** The answer parsed with the contract's schema (strict): a field the API adds, drops or renames fails here. */
const waveOf = (res: { json: () => unknown }): WaveView => WaveView.parse(res.json());

describe("/v1/rebuilds", () => {
  const redis = useRedis();

  it("answers a dry run with three levels and enqueues nothing", async () => {
    const h = await startHarness(redis);
    await layered(h);

    const res = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "base", dryRun: true } });

    expect(res.statusCode).toBe(200);
    const body = DryRunAnswer.parse(res.json());
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

  it("starts a wave with only its first level enqueued, shows it to its tenant only, cancels and retries it", async () => {
    const h = await startHarness(redis);
    await layered(h);

    const started = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "base", reason: "CVE fix" } });
    expect(started.statusCode).toBe(201);
    const wave = waveOf(started);
    expect(wave).toMatchObject({ reason: "CVE fix", finishedAt: null, trigger: { base: "base" } });
    expect(wave.nodes.map((n) => n.state)).toEqual(["queued", "pending", "pending"]);
    expect(await h.queue.count()).toBe(1);
    const baseBuild = wave.nodes[0]?.buildId ?? "";
    expect((await h.store.get(baseBuild))?.request.priority).toBe("bulk");

    expect(waveOf(await h.inject(TOKENS.readOnly, { method: "GET", url: `/v1/rebuilds/${wave.id}` })).id).toBe(wave.id);
    expect((await h.inject(TOKENS.teamB, { method: "GET", url: `/v1/rebuilds/${wave.id}` })).statusCode).toBe(404);
    const listed = WaveList.parse((await h.inject(TOKENS.readOnly, { method: "GET", url: "/v1/rebuilds" })).json()).items;
    expect(listed.map((w) => w.id)).toEqual([wave.id]);
    expect((await h.inject(TOKENS.teamB, { method: "GET", url: "/v1/rebuilds" })).json()).toEqual({ items: [] });

    const cancelled = await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/rebuilds/${wave.id}/cancel` });

    expect(cancelled.statusCode).toBe(202);
    const afterCancel = waveOf(cancelled);
    expect(afterCancel).toMatchObject({ state: "cancelled", counts: { cancelled: 3 } });
    expect(afterCancel.finishedAt).not.toBeNull();
    expect((await h.store.get(baseBuild))?.state).toBe("cancelled");
    expect(await h.queue.count()).toBe(0);

    const retried = await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/rebuilds/${wave.id}/retry` });

    expect(retried.statusCode).toBe(202);
    expect(waveOf(retried)).toMatchObject({ state: "running", finishedAt: null, counts: { queued: 1, pending: 2 } });
    expect(await h.queue.count()).toBe(1);
  });

  it("streams a wave's rebuild.* events over SSE from its first, to its tenant only", async () => {
    const h = await startHarness(redis);
    await layered(h);
    const wave = waveOf(await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "base" } }));
    await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/rebuilds/${wave.id}/cancel` });
    const base = await h.listen();

    // No resume point: the wave's events from rebuild.started, none of its builds' or other waves'.
    const client = await openStream(`${base}/v1/events?waveId=${wave.id}`, auth(TOKENS.readOnly));
    await client.waitFor(() => client.events().length >= 3);
    expect(client.events().map((e) => e.event)).toEqual(["rebuild.started", "rebuild.node.queued", "rebuild.cancelled"]);
    const first = JSON.parse(client.events()[0]?.data ?? "{}") as RebuildEvent;
    expect(first).toMatchObject({ specversion: "1.0", subject: wave.id, sequence: 1, data: { waveId: wave.id, tenants: ["team-a"], nodes: 3, levels: 3 } });
    await client.close();

    // The tenant's whole stream carries them between its builds' events; another tenant sees neither.
    const all = await openStream(`${base}/v1/events?since=0-0`, auth(TOKENS.teamA));
    await all.waitFor(() => all.events().some((e) => e.event === "rebuild.cancelled"));
    expect(all.events().map((e) => e.event)).toEqual(["rebuild.started", "build.queued", "rebuild.node.queued", "build.cancelled", "rebuild.cancelled"]);
    await all.close();
    const other = await openStream(`${base}/v1/events?since=0-0`, auth(TOKENS.teamB));
    expect((await h.inject(TOKENS.teamB, { method: "GET", url: `/v1/events?waveId=${wave.id}` })).statusCode).toBe(404);
    // Its own build's event comes after everything of team-a's in the stream: once it is there, nothing else was sent.
    await h.submit({ ...REQUEST, destinations: ["registry.internal:5000/team-b/app:v1"], registryCredentials: { secretName: "team-b-cred" } }, TOKENS.teamB);
    await other.waitFor(() => other.events().length >= 1);
    expect(other.events().map((e) => e.event)).toEqual(["build.queued"]);
    await other.close();
  });

  it("streams a wave's builds' events too with builds=true, and says which events a view includes", async () => {
    const h = await startHarness(redis);
    await layered(h);
    const wave = waveOf(await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "base" } }));
    expect(wave.eventSeq).toBe(2);
    // Another build of the tenant's, not of the wave: it stays off the wave's stream.
    await h.submit(REQUEST, TOKENS.teamA);
    await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/rebuilds/${wave.id}/cancel` });
    const base = await h.listen();

    const client = await openStream(`${base}/v1/events?waveId=${wave.id}&builds=true`, auth(TOKENS.readOnly));
    await client.waitFor(() => client.events().some((e) => e.event === "rebuild.cancelled"));
    expect(client.events().map((e) => e.event)).toEqual(["rebuild.started", "build.queued", "rebuild.node.queued", "build.cancelled", "rebuild.cancelled"]);
    const subjects = new Set(client.events().filter((e) => e.event.startsWith("build.")).map((e) => (JSON.parse(e.data) as { subject: string }).subject));
    expect([...subjects]).toEqual([wave.nodes[0]?.buildId]);
    await client.close();
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/events?builds=true" })).statusCode).toBe(400);
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
