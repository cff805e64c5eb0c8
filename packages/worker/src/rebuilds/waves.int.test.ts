import { CatalogStore, EventStream, applyBuildEvents, noteBaseBuilds, startDueWaves, WaveStore, cancelRebuild, createLogger, createWorkerConnection, retryRebuild, startRebuild, type BuildStreamEntry, type RunnerDeps, type WaveDoc } from "@buildfleet/shared";
import { makeBuildEvent, newBuildId, parseImage, type BuildRecord, type RebuildEvent } from "@buildfleet/contract";
import { readFileSync } from "node:fs";
import { useRedis, type RedisTestContext } from "@buildfleet/testkit";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { startStack, type Stack } from "../test-support/stack.js";
import { REBUILD_GROUP, RebuildCoordinator } from "./coordinator.js";

/**
 * Rebuild waves end to end on real Redis and kubesim (scripted executor:
 * the digest is a hash of the Job's args, so a build arg pinned to a new
 * parent digest shows in the child's digest).
 */

const REGISTRY = "registry.internal:5000/team";

/** An Image FROM `from` (a literal FROM, or through a build arg when `viaArg`). */
function image(name: string, from: string, options: { viaArg?: boolean; extra?: string; onBaseChange?: number } = {}) {
  const dockerfile = options.viaArg ? `ARG BASE=${from}\nFROM \${BASE}\n${options.extra ?? ""}RUN true\n` : `FROM ${from}\n${options.extra ?? ""}RUN true\n`;
  return parseImage(
    {
      apiVersion: "buildfleet.dev/v1",
      kind: "Image",
      metadata: { name, labels: { team: "platform" } },
      spec: {
        build: { context: { type: "inline", files: {} }, dockerfile: { inline: dockerfile }, destinations: [`${REGISTRY}/${name}:v1`] },
        ...(options.onBaseChange !== undefined ? { rebuild: { onBaseChange: true, settleSeconds: options.onBaseChange } } : {}),
      },
    },
    { tagPolicy: "allow-latest" },
  );
}

interface Rig {
  stack: Stack;
  deps: RunnerDeps;
  catalog: CatalogStore;
  waves: WaveStore;
  startCoordinator(consumer?: string, options?: { sweepIntervalMs?: number }): Promise<RebuildCoordinator>;
  waitForWave(id: string, done?: (doc: WaveDoc) => boolean, timeoutMs?: number): Promise<WaveDoc>;
  build(id: string): Promise<BuildRecord>;
}

async function startRig(redis: RedisTestContext, scenario?: unknown, options: { worker?: boolean } = {}): Promise<Rig> {
  const stack = await startStack(redis, scenario === undefined ? {} : { kubesim: { scenario } });
  if (options.worker !== false) await stack.startWorker();
  const conn = redis.track(createWorkerConnection(redis.url));
  const catalog = new CatalogStore(conn, stack.ks);
  const waves = new WaveStore(conn, stack.ks);
  const logger = createLogger({ name: "test-rebuilds", level: stack.config.log.level });
  const deps: RunnerDeps = { store: stack.store, queue: stack.queue, redis: conn, ks: stack.ks, tagPolicy: stack.config.builds.tagPolicy, catalog, waves, logger };
  const rig: Rig = {
    stack,
    deps,
    catalog,
    waves,
    async startCoordinator(consumer = "test-coordinator", options = {}) {
      const coordinator = new RebuildCoordinator({ config: stack.config, logger, consumer, blockMs: 200, sweepIntervalMs: 500, claimIdleMs: 1_000, ...options });
      redis.track({ close: () => coordinator.stop() });
      await coordinator.start();
      return coordinator;
    },
    async waitForWave(id, done = (doc) => doc.state !== "running", timeoutMs = 30_000) {
      let last: WaveDoc | undefined;
      await expect
        .poll(
          async () => {
            last = await waves.get(id);
            return last !== undefined && done(last);
          },
          { timeout: timeoutMs, interval: 100 },
        )
        .toBe(true);
      return last!;
    },
    async build(id) {
      const record = await stack.store.get(id);
      if (record === undefined) throw new Error(`no build ${id}`);
      return record;
    },
  };
  return rig;
}

const node = (doc: WaveDoc, id: string) => {
  const n = doc.wave.nodes.find((x) => x.id === id);
  if (n === undefined) throw new Error(`no node ${id}`);
  return n;
};
const buildOf = (doc: WaveDoc, id: string) => doc.builds[id]?.buildId ?? "";

/** A build.succeeded of the base outside any wave (a push), as the coordinator reads it from the stream. */
function basePush(digest: string): BuildStreamEntry {
  const buildId = newBuildId();
  const event = makeBuildEvent("build.succeeded", { buildId, sequence: 4, source: "/test", data: { buildId, digest, destinations: [`${REGISTRY}/base:v1`], attempts: 1 } });
  return { kind: "build", id: "0-1", buildId, event };
}

/** The wave's rebuild.* events on the durable stream, in stream order. */
async function waveEventsOf(redis: RedisTestContext, rig: Rig, waveId: string): Promise<RebuildEvent[]> {
  const all = await new EventStream(redis.track(createWorkerConnection(redis.url)), rig.stack.ks).after("0", 10_000);
  return all.flatMap((e) => (e.kind === "rebuild" && e.waveId === waveId ? [e.event] : []));
}

async function applyAll(rig: Rig, images: ReturnType<typeof image>[]): Promise<void> {
  for (const img of images) {
    const res = await rig.catalog.apply("team-a", img);
    if (!res.ok) throw new Error(res.check.message);
  }
}

describe("rebuild waves on kubesim", () => {
  const redis = useRedis();

  it("rebuilds base → runtime → app in order, each pinned to its parent's new digest", async () => {
    const rig = await startRig(redis);
    await rig.startCoordinator();
    await applyAll(rig, [image("base", "busybox:latest"), image("runtime", `${REGISTRY}/base:v1`), image("app", `${REGISTRY}/runtime:v1`, { viaArg: true })]);

    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" } });
    expect(started.plan.levels).toEqual([["team-a/base"], ["team-a/runtime"], ["team-a/app"]]);
    const doc = await rig.waitForWave(started.id);

    expect(doc.state).toBe("succeeded");
    const [base, runtime, app] = await Promise.all(["team-a/base", "team-a/runtime", "team-a/app"].map((id) => rig.build(buildOf(doc, id))));
    // Each level was submitted only after its parent finished.
    expect(Date.parse(runtime!.createdAt)).toBeGreaterThanOrEqual(Date.parse(base!.finishedAt!));
    expect(Date.parse(app!.createdAt)).toBeGreaterThanOrEqual(Date.parse(runtime!.finishedAt!));
    // The runtime's Dockerfile FROM was rewritten to the base's new digest.
    expect("inline" in runtime!.request.dockerfile && runtime!.request.dockerfile.inline).toContain(`FROM ${REGISTRY}/base:v1@${base!.digest}`);
    // The app's FROM comes from a build arg: set to the runtime's digest, which reaches the Job's args and so its digest.
    expect(app!.request.buildArgs?.["BASE"]).toBe(`${REGISTRY}/runtime:v1@${runtime!.digest}`);
    expect(app!.request.priority).toBe("bulk");
    expect(node(doc, "team-a/app").digest).toBe(app!.digest);
    // The image's status records what it was built from, written before the wave's step that saw it succeed
    // (and a wave build is never taken for a build outside a wave, whatever the order its event is read in).
    expect((await rig.catalog.status("team-a/app"))?.builtFrom).toEqual({ [`${REGISTRY}/runtime:v1`]: runtime!.digest });
    // So do the app's record and its build.succeeded.
    expect(app!.rebuild).toMatchObject({ waveId: started.id, nodeId: "team-a/app", attempt: 1, builtFrom: { [`${REGISTRY}/runtime:v1`]: runtime!.digest } });
    const succeeded = (await rig.stack.store.events(app!.id)).find((e) => e.type === "build.succeeded");
    expect(succeeded?.type === "build.succeeded" && succeeded.data.builtFrom).toEqual({ [`${REGISTRY}/runtime:v1`]: runtime!.digest });
    // The base was built from busybox's tag (no parent in the wave): it names no pinned digest.
    expect(base!.rebuild?.builtFrom).toEqual({});
  });

  it("publishes the wave's rebuild.* events in order on the events stream, each once", async () => {
    const rig = await startRig(redis);
    await rig.startCoordinator();
    await applyAll(rig, [image("base", "busybox:latest"), image("runtime", `${REGISTRY}/base:v1`), image("app", `${REGISTRY}/runtime:v1`)]);

    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" } });
    const doc = await rig.waitForWave(started.id);
    const events = await waveEventsOf(redis, rig, started.id);

    expect(events.map((e) => [e.type, "node" in e.data ? e.data.node : ""])).toEqual([
      ["rebuild.started", ""],
      ["rebuild.node.queued", "team-a/base"],
      ["rebuild.node.succeeded", "team-a/base"],
      ["rebuild.node.queued", "team-a/runtime"],
      ["rebuild.node.succeeded", "team-a/runtime"],
      ["rebuild.node.queued", "team-a/app"],
      ["rebuild.node.succeeded", "team-a/app"],
      ["rebuild.succeeded", ""],
    ]);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events.every((e) => e.subject === started.id && e.data.waveId === started.id && e.data.tenants.join() === "team-a")).toBe(true);
    const runtimeQueued = events.find((e) => e.type === "rebuild.node.queued" && e.data.node === "team-a/runtime");
    expect(runtimeQueued?.data).toMatchObject({ buildId: buildOf(doc, "team-a/runtime"), builtFrom: { [`${REGISTRY}/base:v1`]: node(doc, "team-a/base").digest } });
    expect(events.at(-1)?.data).toMatchObject({ counts: { succeeded: 3 } });
  });

  it("rebuilds the layered examples applied as Images: three levels, each pinned to its parent's new digest", async () => {
    const rig = await startRig(redis);
    await rig.startCoordinator();
    const text = readFileSync(new URL("../../../../examples/catalog/layered.yaml", import.meta.url), "utf8");
    for (const doc of parseAllDocuments(text)) {
      const res = await rig.catalog.apply("platform", parseImage(doc.toJS(), { tagPolicy: "allow-latest" }));
      if (!res.ok) throw new Error(res.check.message);
    }

    const started = await startRebuild(rig.deps, { startedBy: "ops", scope: { kind: "admin" }, trigger: { base: "debian-base" } });
    const doc = await rig.waitForWave(started.id);

    expect(doc.state).toBe("succeeded");
    expect(doc.plan.levels).toEqual([["platform/debian-base"], ["platform/python-runtime"], ["platform/hello"]]);
    const [base, runtime, app] = await Promise.all(["platform/debian-base", "platform/python-runtime", "platform/hello"].map((id) => rig.build(buildOf(doc, id))));
    expect(Date.parse(runtime!.createdAt)).toBeGreaterThanOrEqual(Date.parse(base!.finishedAt!));
    expect(Date.parse(app!.createdAt)).toBeGreaterThanOrEqual(Date.parse(runtime!.finishedAt!));
    expect(runtime!.request.buildArgs?.["BASE"]).toBe(`registry.internal:5000/base/debian:bookworm-slim-2025.01@${base!.digest}`);
    expect(app!.request.buildArgs?.["RUNTIME"]).toBe(`registry.internal:5000/base/python:3.11-2025.01@${runtime!.digest}`);
  });

  it("builds a diamond's app once, after both runtimes", async () => {
    const rig = await startRig(redis);
    await rig.startCoordinator();
    await applyAll(rig, [
      image("base", "busybox:latest"),
      image("py", `${REGISTRY}/base:v1`),
      image("node", `${REGISTRY}/base:v1`),
      image("app", `${REGISTRY}/py:v1`, { extra: `COPY --from=${REGISTRY}/node:v1 /usr/bin/node /usr/bin/node\n` }),
    ]);

    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" } });
    const doc = await rig.waitForWave(started.id);

    expect(doc.state).toBe("succeeded");
    expect(rig.stack.sim.control.store.list("jobs", "buildfleet").items).toHaveLength(4);
    const app = await rig.build(buildOf(doc, "team-a/app"));
    for (const parent of ["team-a/py", "team-a/node"]) {
      const record = await rig.build(buildOf(doc, parent));
      expect(Date.parse(app.createdAt)).toBeGreaterThanOrEqual(Date.parse(record.finishedAt!));
      expect("inline" in app.request.dockerfile && app.request.dockerfile.inline).toContain(`@${record.digest}`);
    }
  });

  it("skips a failed node's descendants naming it, lets siblings finish, and retry builds the rest reusing succeeded digests", async () => {
    // r1 fails (every attempt of its Job) until the scenario is cleared.
    const rig = await startRig(redis, [{ match: { args: "team/r1:v1" }, attempts: [{ exit: { code: 1, message: "boom" } }] }]);
    await rig.startCoordinator();
    await applyAll(rig, [
      image("base", "busybox:latest"),
      image("r1", `${REGISTRY}/base:v1`),
      image("r2", `${REGISTRY}/base:v1`),
      image("app1", `${REGISTRY}/r1:v1`),
      image("app2", `${REGISTRY}/r2:v1`),
    ]);

    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" } });
    const failed = await rig.waitForWave(started.id);

    expect(failed.state).toBe("failed");
    expect(node(failed, "team-a/r1").state).toBe("failed");
    expect(node(failed, "team-a/app1")).toMatchObject({ state: "skipped", skippedBecause: "team-a/r1" });
    expect(node(failed, "team-a/r2").state).toBe("succeeded");
    expect(node(failed, "team-a/app2").state).toBe("succeeded");
    const baseBuild = buildOf(failed, "team-a/base");

    rig.stack.sim.control.setScenario([]);
    await retryRebuild(rig.deps, started.id);
    const done = await rig.waitForWave(started.id);

    expect(done.state).toBe("succeeded");
    expect(buildOf(done, "team-a/base")).toBe(baseBuild);
    expect(node(done, "team-a/r1").attempt).toBe(2);
    const app1 = await rig.build(buildOf(done, "team-a/app1"));
    const r1 = await rig.build(buildOf(done, "team-a/r1"));
    expect("inline" in r1.request.dockerfile && r1.request.dockerfile.inline).toContain(`@${node(done, "team-a/base").digest}`);
    expect("inline" in app1.request.dockerfile && app1.request.dockerfile.inline).toContain(`@${r1.digest}`);
    // The failure, the skip naming it, the failed wave, and its retry, as events.
    const events = await waveEventsOf(redis, rig, started.id);
    const types = events.map((e) => e.type);
    expect(events.find((e) => e.type === "rebuild.node.skipped")?.data).toMatchObject({ node: "team-a/app1", skippedBecause: "team-a/r1" });
    expect(events.find((e) => e.type === "rebuild.node.failed")?.data).toMatchObject({ node: "team-a/r1", attempt: 1 });
    expect(types.indexOf("rebuild.failed")).toBeLessThan(types.lastIndexOf("rebuild.started"));
    expect(events.filter((e) => e.type === "rebuild.started").map((e) => e.data)).toMatchObject([{ nodes: 5 }, { nodes: 5, retry: true }]);
    expect(types.at(-1)).toBe("rebuild.succeeded");
  });

  it("continues a wave after the coordinator is stopped mid-wave, building every node exactly once", async () => {
    const rig = await startRig(redis);
    const first = await rig.startCoordinator("coordinator-a");
    await applyAll(rig, [image("base", "busybox:latest"), image("runtime", `${REGISTRY}/base:v1`), image("app", `${REGISTRY}/runtime:v1`)]);

    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" } });
    await first.stop();
    // Events meanwhile pile up in the group; a new process with another name takes over.
    await rig.stack.waitForTerminal(buildOf(started, "team-a/base"));
    await rig.startCoordinator("coordinator-b");
    const doc = await rig.waitForWave(started.id);

    expect(doc.state).toBe("succeeded");
    expect(rig.stack.sim.control.store.list("jobs", "buildfleet").items).toHaveLength(3);
    for (const id of ["team-a/base", "team-a/runtime", "team-a/app"]) {
      const events = await rig.stack.store.events(buildOf(doc, id));
      expect(events.filter((e) => e.type === "build.succeeded")).toHaveLength(1);
    }
    // The restarted coordinator published each of the wave's transitions once.
    const events = await waveEventsOf(redis, rig, started.id);
    expect(events.map((e) => e.type)).toEqual([
      "rebuild.started",
      ...["base", "runtime", "app"].flatMap(() => ["rebuild.node.queued", "rebuild.node.succeeded"]),
      "rebuild.succeeded",
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it("cancels a running wave: the running build is cancelled, what is pending never starts", async () => {
    const rig = await startRig(redis, [{ match: { args: "team/runtime:v1" }, attempts: [{ hang: {} }] }]);
    await rig.startCoordinator();
    await applyAll(rig, [image("base", "busybox:latest"), image("runtime", `${REGISTRY}/base:v1`), image("app", `${REGISTRY}/runtime:v1`)]);

    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" } });
    const running = await rig.waitForWave(started.id, (doc) => node(doc, "team-a/runtime").state === "running");
    await cancelRebuild(rig.deps, started.id, "test");
    const doc = await rig.waitForWave(started.id);

    expect(doc.state).toBe("cancelled");
    expect(node(doc, "team-a/base").state).toBe("succeeded");
    expect(node(doc, "team-a/runtime").state).toBe("cancelled");
    expect(node(doc, "team-a/app").state).toBe("cancelled");
    expect((await rig.build(buildOf(running, "team-a/runtime"))).state).toBe("cancelled");
    expect(doc.builds["team-a/app"]).toBeUndefined();
  });

  it("keeps at most maxInFlight of a wave's builds queued or running at once", async () => {
    const rig = await startRig(redis);
    await rig.startCoordinator();
    const children = ["c1", "c2", "c3", "c4", "c5"];
    await applyAll(rig, [image("base", "busybox:latest"), ...children.map((c) => image(c, `${REGISTRY}/base:v1`))]);

    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" }, options: { maxInFlight: 2 } });
    const doc = await rig.waitForWave(started.id);

    expect(doc.state).toBe("succeeded");
    const records = await Promise.all(children.map((c) => rig.build(buildOf(doc, `team-a/${c}`))));
    // At each submission, count the wave's builds submitted and not yet finished.
    for (const r of records) {
      const at = Date.parse(r.createdAt);
      const open = records.filter((o) => Date.parse(o.createdAt) <= at && Date.parse(o.finishedAt!) > at);
      expect(open.length).toBeLessThanOrEqual(2);
    }
  });

  it("folds two pushes of a base inside the settle window into one automatic wave, pinned to the last digest", async () => {
    const rig = await startRig(redis);
    await rig.startCoordinator();
    const base = image("base", "busybox:latest");
    await applyAll(rig, [base, image("runtime", `${REGISTRY}/base:v1`, { onBaseChange: 2 }), image("app", `${REGISTRY}/runtime:v1`, { onBaseChange: 2 })]);

    // Two builds of the base outside any wave (different args, so different digests).
    const first = await rig.stack.submit({ ...base.spec.build, buildArgs: { PUSH: "1" } });
    const second = await rig.stack.submit({ ...base.spec.build, buildArgs: { PUSH: "2" } });
    const [one, two] = [await rig.stack.waitForTerminal(first.id), await rig.stack.waitForTerminal(second.id)];
    expect(one.digest).not.toBe(two.digest);

    let waves: WaveDoc[] = [];
    await expect
      .poll(
        async () => {
          waves = await rig.waves.list({ limit: 10, visible: () => true });
          return waves.length === 1 && waves[0]!.state !== "running";
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true);
    const doc = waves[0]!;

    expect(doc).toMatchObject({ scope: "automatic", state: "succeeded", trigger: { base: "team-a/base" } });
    // The digest of whichever build's event came last; both builds folded into this one wave.
    const digest = "digest" in doc.trigger ? doc.trigger.digest : undefined;
    expect([one.digest, two.digest]).toContain(digest);
    expect(doc.reason).toContain("2 builds folded into this wave");
    expect(doc.plan.levels).toEqual([["team-a/runtime"], ["team-a/app"]]);
    const runtime = await rig.build(buildOf(doc, "team-a/runtime"));
    expect("inline" in runtime.request.dockerfile && runtime.request.dockerfile.inline).toContain(`FROM ${REGISTRY}/base:v1@${digest}`);
    // Its own builds did not schedule another wave.
    await rig.startCoordinator("second-sweeper").then((c) => c.sweep());
    expect(await rig.waves.list({ limit: 10, visible: () => true })).toHaveLength(1);
  });

  it("supersedes an automatic wave's unstarted nodes when a newer base digest settles, and re-plans them against it", async () => {
    // No worker yet: the first wave's builds stay queued (not started), the state superseding is about.
    const rig = await startRig(redis, undefined, { worker: false });
    await applyAll(rig, [
      image("base", "busybox:latest"),
      image("r1", `${REGISTRY}/base:v1`, { onBaseChange: 0 }),
      image("r2", `${REGISTRY}/base:v1`, { onBaseChange: 0 }),
      image("app", `${REGISTRY}/r1:v1`, { onBaseChange: 0 }),
    ]);
    const [d1, d2] = [`sha256:${"1".repeat(64)}`, `sha256:${"2".repeat(64)}`];
    const later = () => new Date(Date.now() + 1_000);

    await noteBaseBuilds(rig.deps, [basePush(d1)]);
    const [firstId] = await startDueWaves(rig.deps, later());
    const first = (await rig.waves.get(firstId!))!;
    expect(["team-a/r1", "team-a/r2", "team-a/app"].map((id) => node(first, id).state)).toEqual(["queued", "queued", "pending"]);

    await noteBaseBuilds(rig.deps, [basePush(d2)]);
    const [secondId] = await startDueWaves(rig.deps, later());

    const superseded = (await rig.waves.get(firstId!))!;
    expect(superseded).toMatchObject({ state: "cancelled", cancelledBy: "Superseded" });
    expect(node(superseded, "team-a/app")).toMatchObject({ state: "cancelled", reason: "superseded by a newer base digest" });
    for (const id of ["team-a/r1", "team-a/r2"]) {
      expect(node(superseded, id).state).toBe("cancelled");
      expect(await rig.build(buildOf(superseded, id))).toMatchObject({ state: "cancelled", cancelReason: "Superseded" });
    }
    const cancelled = (await waveEventsOf(redis, rig, firstId!)).at(-1);
    expect(cancelled).toMatchObject({ type: "rebuild.cancelled", data: { reason: "superseded by a newer base digest" } });

    // The new wave: every node again, pinned to the newer digest; the only automatic wave of the base still running.
    const second = (await rig.waves.get(secondId!))!;
    expect(second.trigger).toEqual({ base: "team-a/base", digest: d2 });
    const r1 = await rig.build(buildOf(second, "team-a/r1"));
    expect("inline" in r1.request.dockerfile && r1.request.dockerfile.inline).toContain(`FROM ${REGISTRY}/base:v1@${d2}`);
    expect(await redis.connection().hgetall(`${rig.stack.ks.bullPrefix}:rebuild:auto:active`)).toEqual({ "team-a/base": secondId });
    expect(await startDueWaves(rig.deps, later())).toEqual([]);

    await rig.stack.startWorker();
    await rig.startCoordinator();
    const done = await rig.waitForWave(secondId!);
    expect(done.state).toBe("succeeded");
    // Only the new wave's three builds ever ran.
    expect(rig.stack.sim.control.store.list("jobs", "buildfleet").items).toHaveLength(3);
    expect((await rig.catalog.status("team-a/app"))?.builtFrom).toEqual({ [`${REGISTRY}/r1:v1`]: node(done, "team-a/r1").digest });
  });

  it("changes nothing when the events of a finished wave are delivered again", async () => {
    const rig = await startRig(redis);
    await rig.startCoordinator();
    await applyAll(rig, [image("base", "busybox:latest"), image("runtime", `${REGISTRY}/base:v1`)]);
    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" } });
    const done = await rig.waitForWave(started.id);

    const all = await new EventStream(redis.track(createWorkerConnection(redis.url)), rig.stack.ks).after("0", 1000);
    await applyBuildEvents(rig.deps, all);
    await applyBuildEvents(rig.deps, all);

    const again = await rig.waves.get(started.id);
    expect(again?.version).toBe(done.version);
    expect(again?.wave).toEqual(done.wave);
    // Nothing announced twice either.
    expect(await waveEventsOf(redis, rig, started.id)).toHaveLength(6);
    expect(rig.stack.sim.control.store.list("jobs", "buildfleet").items).toHaveLength(2);
  });

  it("takes over the events a crashed coordinator read but never acknowledged", async () => {
    const rig = await startRig(redis);
    await applyAll(rig, [image("base", "busybox:latest"), image("runtime", `${REGISTRY}/base:v1`)]);
    const conn = redis.track(createWorkerConnection(redis.url));
    await conn.xgroup("CREATE", rig.stack.ks.events, REBUILD_GROUP, "0", "MKSTREAM");

    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" } });
    await rig.stack.waitForTerminal(buildOf(started, "team-a/base"));
    // A consumer that read everything and died before acknowledging.
    await conn.xreadgroup("GROUP", REBUILD_GROUP, "crashed", "COUNT", 1000, "STREAMS", rig.stack.ks.events, ">");
    // No sweeps: only the claimed entries can move the wave on.
    await rig.startCoordinator("survivor", { sweepIntervalMs: 600_000 });
    const doc = await rig.waitForWave(started.id);

    expect(doc.state).toBe("succeeded");
    expect(rig.stack.sim.control.store.list("jobs", "buildfleet").items).toHaveLength(2);
    const pending = (await conn.xpending(rig.stack.ks.events, REBUILD_GROUP)) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
    // The redelivered entries (its own rebuild.* ones among them) announced nothing twice.
    expect((await waveEventsOf(redis, rig, started.id)).map((e) => e.type)).toEqual([
      "rebuild.started",
      "rebuild.node.queued",
      "rebuild.node.succeeded",
      "rebuild.node.queued",
      "rebuild.node.succeeded",
      "rebuild.succeeded",
    ]);
  });

  it("takes a wave build whose event is read before the wave linked it for the wave's: no automatic wave, the wave advances", async () => {
    const rig = await startRig(redis);
    await applyAll(rig, [image("base", "busybox:latest", { onBaseChange: 0 }), image("runtime", `${REGISTRY}/base:v1`, { onBaseChange: 0 })]);
    // No coordinator: this test delivers the events itself, in the order that used to go wrong.
    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" } });
    const baseBuild = buildOf(started, "team-a/base");
    // The window between the submit and the wave's write of its build → node link, forced open.
    await redis.connection().hdel(`${rig.stack.ks.bullPrefix}:rebuild:by-build`, baseBuild);
    expect(await rig.waves.link(baseBuild)).toBeUndefined();
    await rig.stack.waitForTerminal(baseBuild);

    const entries = await new EventStream(redis.track(createWorkerConnection(redis.url)), rig.stack.ks).after("0", 1000);
    await applyBuildEvents(rig.deps, entries);
    await noteBaseBuilds(rig.deps, entries);

    // Not a push of the base outside a wave: nothing scheduled, and its status was written by the wave, with the wave.
    expect(await redis.connection().hgetall(`${rig.stack.ks.bullPrefix}:rebuild:auto:pending`)).toEqual({});
    expect(await startDueWaves(rig.deps, new Date(Date.now() + 3600_000))).toEqual([]);
    expect((await rig.catalog.status("team-a/base"))?.lastWaveId).toBe(started.id);
    const doc = await rig.waves.get(started.id);
    expect(node(doc!, "team-a/base").state).toBe("succeeded");
  });

  it("with onFailure stop, starts nothing new after the first failure", async () => {
    const rig = await startRig(redis, [{ match: { args: "team/r1:v1" }, attempts: [{ exit: { code: 1, message: "boom" } }] }]);
    await rig.startCoordinator();
    await applyAll(rig, [image("base", "busybox:latest"), image("r1", `${REGISTRY}/base:v1`), image("app1", `${REGISTRY}/r1:v1`), image("r2", `${REGISTRY}/base:v1`), image("app2", `${REGISTRY}/r2:v1`)]);

    const started = await startRebuild(rig.deps, { startedBy: "team-a", scope: { kind: "tenant", tenant: "team-a" }, trigger: { base: "base" }, options: { onFailure: "stop", maxInFlight: 1 } });
    const doc = await rig.waitForWave(started.id);

    expect(doc.state).toBe("failed");
    expect(node(doc, "team-a/r1").state).toBe("failed");
    // r1 runs before r2 (plan order, one at a time): after its failure nothing else starts.
    for (const id of ["team-a/r2", "team-a/app1", "team-a/app2"]) expect(node(doc, id)).toMatchObject({ state: "skipped", skippedBecause: "team-a/r1" });
  });
});
