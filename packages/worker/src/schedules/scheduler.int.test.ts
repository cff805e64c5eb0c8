import { CatalogStore, WaveStore, createLogger, createWorkerConnection, parseSchedule, scheduleId, spreadMs, type ScheduleInput } from "@buildfleet/shared";
import { parseImage } from "@buildfleet/contract";
import { pushVariant, realBuildsSkipReason, seedBusybox, startRegistry, useRedis, type TestRegistry } from "@buildfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../test-support/stack.js";
import { createK8sApi } from "../k8s/client.js";
import { createServer } from "node:http";
import { Queue } from "bullmq";
import { SCHEDULE_FIRINGS_QUEUE, Scheduler } from "./scheduler.js";
import { secretReader } from "./secret-reader.js";

/**
 * Schedules end to end: real Redis, kubesim (scripted executor) for the
 * builds, and the real registry for the mirror's HEAD checks. Time is a
 * variable the test moves; nothing sleeps through minutes.
 */

const skip = realBuildsSkipReason();
if (skip !== undefined) console.warn(`[scheduler tests] skipped: ${skip}`);
const redis = useRedis();
const TENANT = "team-a";

let registry: TestRegistry;
let authed: TestRegistry;
const mirrorUser = { username: "mirror", password: "m1rror-pass" };
beforeAll(async () => {
  if (skip !== undefined) return;
  registry = await startRegistry({ ignoreEnv: true });
  await seedBusybox(registry);
  authed = await startRegistry({ ignoreEnv: true, users: [mirrorUser] });
  await seedBusybox(authed, { auth: mirrorUser });
}, 180_000);
afterAll(async () => {
  await registry?.stop();
  await authed?.stop();
});

function schedule(name: string, spec: Partial<ScheduleInput["spec"]> & { target?: ScheduleInput["spec"]["target"] }) {
  return parseSchedule(
    { apiVersion: "buildfleet.dev/v1", kind: "Schedule", metadata: { name }, spec: { cron: "0 * * * *", target: buildTarget(), ...spec } },
    { tagPolicy: "allow-latest" },
  );
}

function buildTarget(): ScheduleInput["spec"]["target"] {
  return { build: { context: { type: "inline", files: {} }, dockerfile: { inline: "FROM busybox:latest\nRUN true\n" }, destinations: ["registry.internal:5000/sched/app:1.0"] } };
}

interface Rig {
  stack: Stack;
  clock: { now: Date };
  scheduler(options?: { secrets?: boolean }): Scheduler;
  allJobs(): string[];
}

async function rig(options: { worker?: boolean } = {}): Promise<Rig> {
  const stack = await startStack(redis);
  if (options.worker !== false) await stack.startWorker();
  const clock = { now: new Date("2026-01-01T09:59:00Z") };
  return {
    stack,
    clock,
    scheduler(opts = {}) {
      // Secrets through the real adapter against kubesim, as main.ts wires it.
      const k8s = opts.secrets === true ? createK8sApi(stack.sim.kubeConfig, { namespace: stack.config.builds.namespace, requestTimeoutMs: 5_000 }) : undefined;
      const s = new Scheduler({
        config: stack.config,
        logger: createLogger({ name: "test-scheduler", level: stack.config.log.level }),
        now: () => clock.now,
        spreadMs: 0,
        ...(k8s !== undefined ? { readSecret: secretReader(k8s) } : {}),
      });
      redis.track({ close: () => s.stop().then(() => k8s?.close?.()) });
      return s;
    },
    allJobs: () => stack.sim.control.store.list("jobs", "buildfleet", {}).items.map((j) => j.metadata.name ?? ""),
  };
}


describe.skipIf(skip !== undefined)("mirror schedules against the real registry", () => {
  it("builds, then skips while the source is unchanged (no Job), then builds again after the source moves", async () => {
    const r = await rig();
    const s = r.scheduler();
    const source = `${registry.host}/library/busybox:latest`;
    await s.schedules.put(TENANT, schedule("busybox-mirror", { target: { mirror: { source, destinations: ["registry.internal:5000/mirror/busybox:latest"] } } }));
    const id = scheduleId(TENANT, "busybox-mirror");

    r.clock.now = new Date("2026-01-01T10:00:05Z");
    await s.tick();
    const [first] = await s.schedules.runs(id);
    expect(first).toMatchObject({ outcome: "built", fireAt: "2026-01-01T10:00:00.000Z" });
    const built = await r.stack.waitForTerminal(first!.buildId!);
    expect({ state: built.state, failure: built.failure }).toEqual({ state: "succeeded", failure: undefined });
    expect(built.request.dockerfile).toEqual({ inline: `FROM ${registry.host}/library/busybox@${first!.sourceDigest}\n` });
    expect(built.sourceDigest).toBe(first!.sourceDigest);
    const events = await r.stack.store.events(first!.buildId!);
    expect(events.find((e) => e.type === "build.succeeded")?.data).toMatchObject({ sourceDigest: first!.sourceDigest });
    const jobsAfterFirst = r.allJobs().length;

    r.clock.now = new Date("2026-01-01T11:00:05Z");
    await s.tick();
    const [second] = await s.schedules.runs(id);
    expect(second).toMatchObject({ outcome: "skipped", reason: "unchanged", sourceDigest: first!.sourceDigest, fireAt: "2026-01-01T11:00:00.000Z" });
    expect(r.allJobs().length).toBe(jobsAfterFirst);

    const moved = await pushVariant(registry.url, "library/busybox", "latest", "latest", `sched-${redis.prefix}`);
    r.clock.now = new Date("2026-01-01T12:00:05Z");
    await s.tick();
    const [third] = await s.schedules.runs(id);
    expect(third).toMatchObject({ outcome: "built", sourceDigest: moved });
    expect((await r.stack.waitForTerminal(third!.buildId!)).state).toBe("succeeded");
  });
});

function catalogImage(name: string, from: string, destination: string | string[], extra: Record<string, unknown> = {}) {
  const destinations = typeof destination === "string" ? [destination] : destination;
  return parseImage(
    { apiVersion: "buildfleet.dev/v1", kind: "Image", metadata: { name }, spec: { build: { context: { type: "inline", files: {} }, dockerfile: { inline: `FROM ${from}\nRUN true\n` }, destinations }, ...extra } },
    { tagPolicy: "allow-latest" },
  );
}

describe.skipIf(skip !== undefined)("image schedules against the real registry", () => {
  it("skips while every base digest is unchanged since the last success, and builds pinned when a base moves", async () => {
    const r = await rig();
    const catalog = new CatalogStore(redis.track(createWorkerConnection(redis.url)), r.stack.ks);
    const tag = `img-${redis.prefix.replace(/[^A-Za-z0-9]/g, "")}`.slice(0, 100);
    const base = `${registry.host}/library/busybox:${tag}`;
    const first = await pushVariant(registry.url, "library/busybox", "latest", tag, `${tag}-v1`);
    expect((await catalog.apply(TENANT, catalogImage("app", base, "registry.internal:5000/team/app:v1"))).ok).toBe(true);
    const s = r.scheduler();
    await s.schedules.put(TENANT, schedule("nightly-app", { target: { image: "app" } }));
    const id = scheduleId(TENANT, "nightly-app");

    r.clock.now = new Date("2026-01-01T10:00:05Z");
    await s.tick();
    const [built] = await s.schedules.runs(id);
    expect(built).toMatchObject({ outcome: "built", baseDigests: { [base]: first } });
    const record = await r.stack.waitForTerminal(built!.buildId!);
    expect(record.state).toBe("succeeded");
    expect(record.request.dockerfile).toEqual({ inline: `FROM ${base}@${first}\nRUN true\n` });
    const jobs = r.allJobs().length;

    r.clock.now = new Date("2026-01-01T11:00:05Z");
    await s.tick();
    expect((await s.schedules.runs(id))[0]).toMatchObject({ outcome: "skipped", reason: "unchanged", baseDigests: { [base]: first } });
    expect(r.allJobs().length).toBe(jobs);

    const moved = await pushVariant(registry.url, "library/busybox", "latest", tag, `${tag}-v2`);
    r.clock.now = new Date("2026-01-01T12:00:05Z");
    await s.tick();
    expect((await s.schedules.runs(id))[0]).toMatchObject({ outcome: "built", baseDigests: { [base]: moved } });
  });

  it("with cascade, a new digest of the image starts a rebuild wave for its dependents", async () => {
    const r = await rig();
    const conn = redis.track(createWorkerConnection(redis.url));
    const catalog = new CatalogStore(conn, r.stack.ks);
    expect((await catalog.apply(TENANT, catalogImage("app", `${registry.host}/library/busybox:latest`, "registry.internal:5000/team/app:v1"))).ok).toBe(true);
    expect((await catalog.apply(TENANT, catalogImage("child", "registry.internal:5000/team/app:v1", "registry.internal:5000/team/child:v1"))).ok).toBe(true);
    const s = r.scheduler();
    await s.schedules.put(TENANT, schedule("nightly-app", { target: { image: "app" }, skipIfUnchanged: false, cascade: true }));
    const id = scheduleId(TENANT, "nightly-app");

    r.clock.now = new Date("2026-01-01T10:00:05Z");
    await s.tick();
    const [built] = await s.schedules.runs(id);
    const record = await r.stack.waitForTerminal(built!.buildId!);
    expect(record.state).toBe("succeeded");

    await s.reconcile(); // the owner follows the finished build up, without waiting for the next firing
    const followed = (await s.schedules.runs(id))[0]!;
    expect(followed).toMatchObject({ outcome: "built", buildId: built!.buildId, cascade: "wave" });
    const wave = await new WaveStore(conn, r.stack.ks).get(followed.waveId!);
    expect(wave?.trigger).toEqual({ base: "app", digest: record.digest, dependents: [`${TENANT}/child`] });
    expect(wave?.plan.nodes.map((n) => n.id)).toEqual([`${TENANT}/child`]);

    await s.tick(); // followed once: no second wave
    expect((await s.schedules.runs(id))[0]?.waveId).toBe(followed.waveId);
  });

  /** An image schedule with cascade whose first build has succeeded, before the owner follows it up. */
  async function cascadeRig(images: { name: string; from: string }[], destinations: string[]) {
    const r = await rig();
    const conn = redis.track(createWorkerConnection(redis.url));
    const catalog = new CatalogStore(conn, r.stack.ks);
    expect((await catalog.apply(TENANT, catalogImage("app", `${registry.host}/library/busybox:latest`, destinations))).ok).toBe(true);
    for (const { name, from } of images) expect((await catalog.apply(TENANT, catalogImage(name, from, `registry.internal:5000/team/${name}:v1`))).ok).toBe(true);
    const s = r.scheduler();
    await s.schedules.put(TENANT, schedule("nightly-app", { target: { image: "app" }, skipIfUnchanged: false, cascade: true }));
    r.clock.now = new Date("2026-01-01T10:00:05Z");
    await s.tick();
    const [built] = await s.schedules.runs(scheduleId(TENANT, "nightly-app"));
    const record = await r.stack.waitForTerminal(built!.buildId!);
    expect(record.state).toBe("succeeded");
    return { s, catalog, digest: record.digest!, waves: new WaveStore(conn, r.stack.ks), followed: async () => (await s.schedules.runs(scheduleId(TENANT, "nightly-app")))[0]! };
  }

  it("with cascade, a first build starts no wave when every dependent was already built from its digest", async () => {
    const APP = "registry.internal:5000/team/app:v1";
    const c = await cascadeRig([{ name: "child", from: APP }], [APP]);
    await c.catalog.recordBuild(`${TENANT}/child`, { buildId: "01jb0000000000000000000001", digest: `sha256:${"c".repeat(64)}`, builtFrom: { [APP]: c.digest }, waveId: "w-earlier" });
    await c.s.reconcile();
    const followed = await c.followed();
    expect(followed).toMatchObject({ outcome: "built", cascade: "unchanged" });
    expect(followed.waveId).toBeUndefined();
  });

  it("with cascade, only the dependents not built from the new digest are rebuilt", async () => {
    const APP = "registry.internal:5000/team/app:v1";
    const c = await cascadeRig([{ name: "current", from: APP }, { name: "stale", from: APP }, { name: "fresh", from: APP }], [APP]);
    await c.catalog.recordBuild(`${TENANT}/current`, { buildId: "01jb0000000000000000000001", digest: `sha256:${"c".repeat(64)}`, builtFrom: { [APP]: c.digest }, waveId: "w-earlier" });
    await c.catalog.recordBuild(`${TENANT}/stale`, { buildId: "01jb0000000000000000000002", digest: `sha256:${"e".repeat(64)}`, builtFrom: { [APP]: `sha256:${"0".repeat(64)}` }, waveId: "w-earlier" });
    await c.s.reconcile();
    const followed = await c.followed();
    expect(followed).toMatchObject({ cascade: "wave" });
    const wave = await c.waves.get(followed.waveId!);
    expect(wave?.plan.nodes.map((n) => n.id)).toEqual([`${TENANT}/fresh`, `${TENANT}/stale`]);
    expect(wave?.plan.nodes.flatMap((n) => n.bases.map((b) => [b.pin, b.digest]))).toEqual([
      ["pinned", c.digest],
      ["pinned", c.digest],
    ]);
  });

  it("with cascade, an image pushing to several destinations starts one wave for the dependents of all of them", async () => {
    const [V1, LATEST, MIRROR] = ["registry.internal:5000/team/app:v1", "registry.internal:5000/team/app:latest", "registry.internal:5000/mirror/app:v1"];
    const c = await cascadeRig([{ name: "on-v1", from: V1 }, { name: "on-latest", from: LATEST }, { name: "on-mirror", from: MIRROR }], [V1, LATEST, MIRROR]);
    await c.s.reconcile();
    const followed = await c.followed();
    expect(followed).toMatchObject({ cascade: "wave" });
    const wave = await c.waves.get(followed.waveId!);
    expect(wave?.plan.nodes.map((n) => n.id)).toEqual([`${TENANT}/on-latest`, `${TENANT}/on-mirror`, `${TENANT}/on-v1`]);
    expect(wave?.plan.nodes.map((n) => n.bases[0]?.digest)).toEqual([c.digest, c.digest, c.digest]);
    expect((await c.waves.list({ limit: 10, visible: () => true })).map((w) => w.id)).toEqual([followed.waveId]);
  });
});

/** A fault proxy in front of the real registry: answers the first requests with `faults`, forwards the rest. */
async function faultProxy(target: string, faults: { status: number; headers?: Record<string, string> }[]): Promise<string> {
  const server = createServer((req, res) => {
    const fault = faults.shift();
    if (fault !== undefined) return void res.writeHead(fault.status, fault.headers ?? {}).end();
    void fetch(`${target}${req.url ?? "/"}`, { method: req.method ?? "GET", headers: { accept: String(req.headers.accept ?? "") } }).then((up) => res.writeHead(up.status, Object.fromEntries(up.headers)).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  redis.track({ close: () => new Promise<void>((r) => server.close(() => r())) });
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe.skipIf(skip !== undefined)("registry manners through a fault proxy", () => {
  function faultyScheduler(r: Rig, waits: number[]): Scheduler {
    const s = new Scheduler({
      config: r.stack.config,
      logger: createLogger({ name: "test-scheduler", level: "silent" }),
      now: () => r.clock.now,
      spreadMs: 0,
      registry: { sleep: async (ms) => void waits.push(ms) },
    });
    redis.track({ close: () => s.stop() });
    return s;
  }

  it("a 429 with Retry-After is waited out, the firing builds, and the host is held for every replica", async () => {
    const r = await rig({ worker: false });
    const host = await faultProxy(registry.url, [{ status: 429, headers: { "retry-after": "30", "ratelimit-remaining": "0" } }]);
    const waits: number[] = [];
    const s = faultyScheduler(r, waits);
    await s.schedules.put(TENANT, schedule("limited", { target: { mirror: { source: `${host}/library/busybox:latest`, destinations: ["registry.internal:5000/mirror/limited:latest"] } } }));
    r.clock.now = new Date("2026-01-01T10:00:05Z");
    const before = Date.now();
    await s.tick();
    expect((await s.schedules.runs(scheduleId(TENANT, "limited")))[0]).toMatchObject({ outcome: "built", sourceDigest: expect.stringMatching(/^sha256:/) as unknown });
    expect(waits).toEqual([30_000]);
    const conn = redis.track(createWorkerConnection(redis.url));
    expect(Number(await conn.get(`${r.stack.ks.bullPrefix}:registry-budget:${host}`))).toBeGreaterThanOrEqual(before + 30_000);
  });

  it("5xx answers are retried with backoff, then the firing is failed with the registry's answer", async () => {
    const r = await rig({ worker: false });
    const host = await faultProxy(registry.url, [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]);
    const waits: number[] = [];
    const s = faultyScheduler(r, waits);
    await s.schedules.put(TENANT, schedule("flaky", { target: { mirror: { source: `${host}/library/busybox:latest`, destinations: ["registry.internal:5000/mirror/flaky:latest"] } } }));
    r.clock.now = new Date("2026-01-01T10:00:05Z");
    await s.tick();
    expect((await s.schedules.runs(scheduleId(TENANT, "flaky")))[0]).toMatchObject({ outcome: "failed", reason: expect.stringMatching(/answered 503 after 4 attempts/) as unknown });
    expect(waits).toEqual([250, 500, 1_000]);
    expect(r.allJobs()).toEqual([]);
  });
});

describe.skipIf(skip !== undefined)("mirror credentials from a named Secret", () => {
  it("fails the firing while the Secret is missing, then answers the registry's challenge with its credentials", async () => {
    const r = await rig({ worker: false });
    const s = r.scheduler({ secrets: true });
    const mirror = { source: `${authed.host}/library/busybox:latest`, destinations: ["registry.internal:5000/mirror/private:latest"], registryCredentials: { secretName: "mirror-cred" } };
    await s.schedules.put(TENANT, schedule("private-mirror", { target: { mirror } }));
    const id = scheduleId(TENANT, "private-mirror");
    r.clock.now = new Date("2026-01-01T10:00:05Z");
    await s.tick();
    expect((await s.schedules.runs(id))[0]).toMatchObject({ outcome: "failed", reason: "registryCredentials: Secret mirror-cred not found in the build namespace" });

    const dockerconfig = { auths: { [authed.host]: { username: mirrorUser.username, password: mirrorUser.password } } };
    r.stack.sim.control.store.create("secrets", r.stack.config.builds.namespace, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "mirror-cred" },
      type: "kubernetes.io/dockerconfigjson",
      data: { ".dockerconfigjson": Buffer.from(JSON.stringify(dockerconfig)).toString("base64") },
    });
    r.clock.now = new Date("2026-01-01T11:00:05Z");
    await s.tick();
    const [built] = await s.schedules.runs(id);
    expect(built).toMatchObject({ outcome: "built", sourceDigest: expect.stringMatching(/^sha256:/) as unknown });
    expect((await r.stack.store.get(built!.buildId!))?.request.registryCredentials).toEqual({ secretName: "mirror-cred" });
  });
});

describe("BullMQ job schedulers as the clock", () => {
  function firingsQueue(r: Rig): Queue {
    const q = new Queue(SCHEDULE_FIRINGS_QUEUE, { connection: redis.track(createWorkerConnection(redis.url)), prefix: r.stack.ks.bullPrefix });
    redis.track({ close: () => q.close() });
    return q;
  }

  it("one owner upserts a job scheduler per active schedule with its cron pattern and time zone; suspend and delete remove it", async () => {
    const r = await rig({ worker: false });
    const [a, b] = [r.scheduler(), r.scheduler()];
    await a.schedules.put(TENANT, schedule("hourly", {}));
    await a.schedules.put(TENANT, schedule("berlin", { cron: "30 3 * * *", timeZone: "Europe/Berlin" }));
    await a.schedules.put(TENANT, schedule("paused", { suspend: true }));
    await Promise.all([a.reconcile(), b.reconcile()]);
    const q = firingsQueue(r);
    const view = async () => (await q.getJobSchedulers(0, -1)).map((j) => [j.key, j.pattern, j.tz]).sort();
    expect(await view()).toEqual([
      [scheduleId(TENANT, "berlin"), "30 3 * * *", "Europe/Berlin"],
      [scheduleId(TENANT, "hourly"), "0 * * * *", "UTC"],
    ]);
    // Each has exactly its next iteration waiting.
    expect(await q.getDelayedCount()).toBe(2);

    await a.schedules.delete(TENANT, "berlin");
    await a.schedules.put(TENANT, schedule("hourly", { suspend: true }));
    await Promise.all([a.reconcile(), b.reconcile()]);
    expect(await view()).toEqual([]);
  });

  /** Every Redis command whose arguments name `fragment`, while `during` runs (MONITOR, so nothing in the scheduler is replaced). */
  async function commandsNaming(fragment: string, during: () => Promise<void>): Promise<string[][]> {
    const conn = redis.track(createWorkerConnection(redis.url));
    const monitor = await conn.monitor();
    const seen: string[][] = [];
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (args.some((a) => a.includes(fragment))) seen.push(args);
    });
    try {
      await during();
      // MONITOR lines arrive after the replies: a round trip on the monitored server flushes them.
      await conn.ping();
      await new Promise((res) => setTimeout(res, 100));
    } finally {
      monitor.disconnect();
    }
    return seen;
  }

  it("a reconcile with nothing changed reads no schedule and no job scheduler", async () => {
    const r = await rig({ worker: false });
    const s = r.scheduler();
    for (const name of ["one", "two", "three"]) await s.schedules.put(TENANT, schedule(name, {}));
    await s.reconcile();
    const q = firingsQueue(r);
    expect(await q.getJobSchedulersCount()).toBe(3);
    const schedulesHash = `${r.stack.config.redis.prefix}:schedules`;
    const reads = await commandsNaming(r.stack.config.redis.prefix, async () => {
      await s.reconcile();
      await s.reconcile();
    });
    // The schedules hash itself, and BullMQ's job scheduler keys, are not touched: only the change log is asked.
    expect(reads.filter((args) => args.includes(schedulesHash))).toEqual([]);
    expect(reads.filter((args) => args.some((a) => a.includes(`${SCHEDULE_FIRINGS_QUEUE}:repeat`)))).toEqual([]);
    expect(reads.some((args) => args.includes(`${schedulesHash}:changes`))).toBe(true);
  });

  it("a change made between reconciles is applied by the next one: a new cron, a new schedule, a resume", async () => {
    const r = await rig({ worker: false });
    const s = r.scheduler();
    await s.schedules.put(TENANT, schedule("hourly", {}));
    await s.schedules.put(TENANT, schedule("paused", { suspend: true }));
    await s.schedules.put(TENANT, schedule("gone", {}));
    await s.reconcile();
    const q = firingsQueue(r);
    const view = async () => (await q.getJobSchedulers(0, -1)).map((j) => [j.key, j.pattern, j.tz]).sort();
    expect(await view()).toEqual([
      [scheduleId(TENANT, "gone"), "0 * * * *", "UTC"],
      [scheduleId(TENANT, "hourly"), "0 * * * *", "UTC"],
    ]);

    await s.schedules.put(TENANT, schedule("hourly", { cron: "15 * * * *", timeZone: "Europe/Berlin" }));
    await s.schedules.put(TENANT, schedule("paused", { suspend: false }));
    await s.schedules.put(TENANT, schedule("added", { cron: "5 4 * * *" }));
    await s.schedules.delete(TENANT, "gone");
    await s.reconcile();
    expect(await view()).toEqual([
      [scheduleId(TENANT, "added"), "5 4 * * *", "UTC"],
      [scheduleId(TENANT, "hourly"), "15 * * * *", "Europe/Berlin"],
      [scheduleId(TENANT, "paused"), "0 * * * *", "UTC"],
    ]);
  });

  it("an incremental pass applies more changes than one read holds (a bulk apply)", async () => {
    const r = await rig({ worker: false });
    const s = r.scheduler();
    await s.reconcile(); // the full pass, with nothing yet
    const names = Array.from({ length: 1_201 }, (_, i) => `bulk-${i}`);
    for (let i = 0; i < names.length; i += 200) await Promise.all(names.slice(i, i + 200).map((n) => s.schedules.put(TENANT, schedule(n, {}))));
    await s.reconcile();
    expect(await firingsQueue(r).getJobSchedulersCount()).toBe(names.length);
  });

  it("a full pass at the bounded interval repairs a job scheduler removed behind the store's back", async () => {
    const r = await rig({ worker: false });
    const s = new Scheduler({ config: r.stack.config, logger: createLogger({ name: "test-scheduler", level: "silent" }), now: () => r.clock.now, spreadMs: 0, fullReconcileMs: 0 });
    redis.track({ close: () => s.stop() });
    await s.schedules.put(TENANT, schedule("hourly", {}));
    await s.reconcile();
    const q = firingsQueue(r);
    await q.removeJobScheduler(scheduleId(TENANT, "hourly"));
    await s.reconcile();
    expect((await q.getJobSchedulers(0, -1)).map((j) => j.key)).toEqual([scheduleId(TENANT, "hourly")]);
  });

  it("a replica taking the owner lease over lists everything, even what the last owner applied", async () => {
    const r = await rig({ worker: false });
    const [a, b] = [r.scheduler(), r.scheduler()];
    await a.schedules.put(TENANT, schedule("hourly", {}));
    await a.reconcile();
    await b.reconcile(); // not the owner: applies nothing
    await a.stop();
    const q = firingsQueue(r);
    await q.removeJobScheduler(scheduleId(TENANT, "hourly"));
    // The lease ends with its holder (here: expired by hand instead of waiting 15 s).
    await redis.track(createWorkerConnection(redis.url)).del(`${r.stack.ks.bullPrefix}:schedules:owner`);
    await b.reconcile();
    expect((await q.getJobSchedulers(0, -1)).map((j) => j.key)).toEqual([scheduleId(TENANT, "hourly")]);
  });

  it("a firing job fires its schedule through the normal path, and a second job for the same time makes no second build", async () => {
    const r = await rig({ worker: false });
    const s = r.scheduler();
    await s.schedules.put(TENANT, schedule("woken", { concurrencyPolicy: "Allow" }));
    r.clock.now = new Date("2026-01-01T10:00:02Z");
    await s.start();
    const q = firingsQueue(r);
    const id = scheduleId(TENANT, "woken");
    await q.add("fire", { id });
    await q.add("fire", { id });
    // Bounded wait for both jobs to be processed (no timing asserted).
    const deadline = Date.now() + 20_000;
    while ((await q.getCompletedCount()) + (await q.getFailedCount()) < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(await q.getCompletedCount()).toBe(2);
    const runs = await s.schedules.runs(id);
    expect(runs.map((x) => [x.fireAt, x.outcome])).toEqual([["2026-01-01T10:00:00.000Z", "built"]]);
  });

  it("a job that comes inside the schedule's jitter window is put off to its end, once", async () => {
    const r = await rig({ worker: false });
    const s = new Scheduler({ config: r.stack.config, logger: createLogger({ name: "test-scheduler", level: "silent" }), now: () => r.clock.now, spreadMs: 3_600_000 });
    redis.track({ close: () => s.stop() });
    await s.schedules.put(TENANT, schedule("jittered", {}));
    const id = scheduleId(TENANT, "jittered");
    const offset = spreadMs(id, 3_600_000);
    r.clock.now = new Date(Date.parse("2026-01-01T10:00:00Z") + Math.floor(offset / 2));
    await s.start();
    const q = firingsQueue(r);
    await q.add("fire", { id });
    await q.add("fire", { id });
    const deadline = Date.now() + 20_000;
    while ((await q.getCompletedCount()) < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(await s.schedules.runs(id)).toEqual([]);
    // Besides the job scheduler's own next iteration (start() reconciled it).
    const delayed = (await q.getDelayed()).filter((j) => j.name === "spread");
    expect(delayed.map((j) => [j.name, j.id])).toEqual([["spread", `spread-${encodeURIComponent(id)}-${Date.parse("2026-01-01T10:00:00Z")}`]]);
  });
});

describe("scheduler firing semantics", () => {
  it("fires once when two schedulers tick at the same time", async () => {
    const r = await rig();
    const [a, b] = [r.scheduler(), r.scheduler()];
    await a.schedules.put(TENANT, schedule("twice", { concurrencyPolicy: "Allow" }));
    r.clock.now = new Date("2026-01-01T10:00:01Z");
    await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    const runs = await a.schedules.runs(scheduleId(TENANT, "twice"));
    expect(runs).toHaveLength(1);
    expect((await r.stack.store.get(runs[0]!.buildId!))?.tenant).toBe(TENANT);
    const ids = await r.stack.store.findIdempotent(TENANT, `schedule.twice.${Date.parse("2026-01-01T10:00:00Z")}`);
    expect(ids?.buildId).toBe(runs[0]!.buildId);
  });

  it("after an hour down, an every-minute schedule fires one catch-up, not sixty", async () => {
    const r = await rig({ worker: false });
    const first = r.scheduler();
    await first.schedules.put(TENANT, schedule("minutely", { cron: "* * * * *", concurrencyPolicy: "Allow" }));
    r.clock.now = new Date("2026-01-01T10:00:02Z");
    await first.tick();
    await first.stop();
    r.clock.now = new Date("2026-01-01T11:00:10Z");
    const restarted = r.scheduler();
    await restarted.tick();
    await restarted.tick();
    const runs = await restarted.schedules.runs(scheduleId(TENANT, "minutely"));
    expect(runs.map((x) => [x.fireAt, x.outcome])).toEqual([
      ["2026-01-01T11:00:00.000Z", "built"],
      ["2026-01-01T10:00:00.000Z", "built"],
    ]);
  });

  it("Forbid skips while the previous build runs; Replace cancels it; suspend fires nothing; trigger fires now", async () => {
    // No worker: a submitted build stays queued, i.e. still running as far as the schedule knows.
    const r = await rig({ worker: false });
    const s = r.scheduler();
    await s.schedules.put(TENANT, schedule("forbid", {}));
    await s.schedules.put(TENANT, schedule("replace", { concurrencyPolicy: "Replace" }));
    await s.schedules.put(TENANT, schedule("paused", { suspend: true }));
    for (const at of ["2026-01-01T10:00:03Z", "2026-01-01T11:00:03Z"]) {
      r.clock.now = new Date(at);
      await s.tick();
    }
    const forbid = await s.schedules.runs(scheduleId(TENANT, "forbid"));
    expect(forbid.map((x) => x.outcome)).toEqual(["skipped", "built"]);
    expect(forbid[0]).toMatchObject({ reason: "previous still running", buildId: forbid[1]!.buildId });

    const replace = await s.schedules.runs(scheduleId(TENANT, "replace"));
    expect(replace.map((x) => x.outcome)).toEqual(["built", "built"]);
    expect(replace[0]!.replaced).toBe(replace[1]!.buildId);
    expect((await r.stack.store.get(replace[1]!.buildId!))?.state).toBe("cancelled");

    expect(await s.schedules.runs(scheduleId(TENANT, "paused"))).toEqual([]);

    await s.schedules.requestTrigger(scheduleId(TENANT, "paused"), r.clock.now);
    await s.tick();
    await s.tick();
    const paused = await s.schedules.runs(scheduleId(TENANT, "paused"));
    expect(paused).toHaveLength(1);
    expect(paused[0]).toMatchObject({ trigger: "manual", outcome: "built" });
  });

  it("an image target builds the catalog image's request; a missing image is a failed run", async () => {
    const r = await rig({ worker: false });
    const catalog = new CatalogStore(redis.track(createWorkerConnection(redis.url)), r.stack.ks);
    const image = parseImage(
      { apiVersion: "buildfleet.dev/v1", kind: "Image", metadata: { name: "app" }, spec: { build: { context: { type: "inline", files: {} }, dockerfile: { inline: "FROM busybox:1.36\nRUN true\n" }, destinations: ["registry.internal:5000/team/app:v1"] } } },
      { tagPolicy: "allow-latest" },
    );
    expect((await catalog.apply(TENANT, image)).ok).toBe(true);
    const s = r.scheduler();
    await s.schedules.put(TENANT, schedule("nightly-app", { target: { image: "app" }, skipIfUnchanged: false }));
    await s.schedules.put(TENANT, schedule("nightly-gone", { target: { image: "gone" } }));
    r.clock.now = new Date("2026-01-01T10:00:01Z");
    await s.tick();
    const [built] = await s.schedules.runs(scheduleId(TENANT, "nightly-app"));
    expect(built?.outcome).toBe("built");
    expect((await r.stack.store.get(built!.buildId!))?.request.destinations).toEqual(["registry.internal:5000/team/app:v1"]);
    expect((await s.schedules.runs(scheduleId(TENANT, "nightly-gone")))[0]).toMatchObject({ outcome: "failed", reason: 'image "gone" is not in the catalog' });
  });
});
