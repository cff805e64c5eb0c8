import { kanikoDigest } from "@buildfleet/kubesim";
import { readBuildLog } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { mirrorRequest, startStack, volumeRequest } from "../test-support/stack.js";

/**
 * The worker end to end against real Redis and kubesim: every test submits
 * through the producer path, lets a real WorkerService run the build as a Job,
 * and asserts what users see — the record, the events, the objects in the API server.
 */
describe("worker: builds through to a recorded outcome", () => {
  const redis = useRedis();

  it("succeeds with the digest Kaniko wrote to its termination message", async () => {
    const stack = await startStack(redis);
    await stack.startWorker();
    const build = await stack.submit(volumeRequest());

    const done = await stack.waitForTerminal(build.id);

    expect(done.state).toBe("succeeded");
    const [jobName] = await stack.jobsFor(build.id);
    const job = stack.sim.control.store.get("jobs", "buildfleet", jobName ?? "");
    const args = (job?.["spec"] as { template: { spec: { containers: { args: string[] }[] } } }).template.spec
      .containers[0]?.args ?? [];
    expect(done.digest).toBe(kanikoDigest(args));
    expect(done.jobName).toBe(jobName);
    const events = await stack.store.events(build.id);
    expect(events.map((e) => e.type)).toEqual(["build.queued", "build.started", "build.running", "build.succeeded"]);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(events.at(-1)?.data).toMatchObject({ digest: done.digest, attempts: 1 });
    const queueJob = await stack.queue.getJob(build.id);
    expect(queueJob?.returnvalue).toMatchObject({ buildId: build.id, state: "succeeded", digest: done.digest });
  });

  it("stores each attempt's Kaniko log in Redis", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "flaky" }, attempts: [{ exit: { code: 1, afterMs: 5_000 } }, { succeed: {} }] }] },
    });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ buildArgs: { MODE: "flaky" } }));
    await stack.waitForTerminal(build.id);

    const log = async (): Promise<string[]> =>
      (await readBuildLog(redis.connection(), stack.ks, build.id)).lines.map((l) => `${l.attempt}: ${l.line}`);
    await expect.poll(log, { timeout: 10_000 }).toContainEqual(
      expect.stringMatching(/^2: .*Pushed registry\.internal:5000\/team\/app:v1\.0\.0@sha256:/),
    );
    expect((await log()).some((l) => l.startsWith("1: "))).toBe(true);
    // Each line keeps when it was written (the kubelet's timestamp split off the text), on the
    // record's clock: kubesim's sped-up clock runs ahead, and a line cannot postdate its arrival.
    const { lines } = await readBuildLog(redis.connection(), stack.ks, build.id);
    for (const l of lines) {
      expect(l.line).not.toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(Date.parse(l.time ?? "")).toBeGreaterThanOrEqual(Date.parse(build.createdAt) - 1_000);
      expect(Date.parse(l.time ?? "")).toBeLessThanOrEqual(Date.now());
    }
  });

  it("logs the Dockerfile's own FROM and every destination in kubesim's Kaniko log", async () => {
    const stack = await startStack(redis);
    await stack.startWorker();
    const build = await stack.submit(
      mirrorRequest({ dockerfile: { inline: "ARG BASE=docker.io/library/alpine:3.20\nFROM ${BASE} AS tools\nRUN apk add git\n" }, buildArgs: { BASE: "registry.internal:5000/mirror/busybox:1.36" } }),
    );
    await stack.waitForTerminal(build.id);
    const log = async (): Promise<string> => (await readBuildLog(redis.connection(), stack.ks, build.id)).lines.map((l) => l.line).join("\n");
    await expect.poll(log, { timeout: 10_000 }).toContain("Pushed registry.internal:5000/mirror/busybox:latest@sha256:");
    const text = await log();
    expect(text).toContain("Retrieving image manifest registry.internal:5000/mirror/busybox:1.36");
    expect(text).not.toContain("alpine:3.20");
    expect(text).toContain("Pushing image to registry.internal:5000/mirror/busybox:1.36");
  });

  it("retries a failed pod inside one Job and reports build.retrying", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "flaky" }, attempts: [{ exit: { code: 1, afterMs: 5_000 } }, { succeed: {} }] }] },
    });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ buildArgs: { MODE: "flaky" } }));

    const done = await stack.waitForTerminal(build.id);

    expect(done.state).toBe("succeeded");
    expect(await stack.jobsFor(build.id)).toHaveLength(1);
    expect(await stack.podsFor(build.id)).toHaveLength(2);
    const events = await stack.store.events(build.id);
    const retrying = events.find((e) => e.type === "build.retrying");
    expect(retrying?.data).toMatchObject({ attempt: 2, previous: { exitCode: 1 } });
    expect(done.attempts.map((a) => a.exitCode)).toEqual([1, 0]);
  });

  it("fails with BackoffLimitExceeded once retries are used up", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "broken" }, attempts: [{ exit: { code: 2, afterMs: 3_000 } }] }] },
    });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ retries: 1, buildArgs: { MODE: "broken" } }));

    const done = await stack.waitForTerminal(build.id);

    expect(done).toMatchObject({ state: "failed", failure: { reason: "BackoffLimitExceeded" } });
    expect(await stack.podsFor(build.id)).toHaveLength(2);
    const failed = (await stack.store.events(build.id)).at(-1);
    expect(failed).toMatchObject({ type: "build.failed", data: { reason: "BackoffLimitExceeded", attempts: 2 } });
    // The last attempt's own words (its log tail, via FallbackToLogsOnError), not only "backoff limit".
    expect(done.failure?.message).toMatch(/^last attempt \(pod \S+\) exited 2: .*error building image: .*exit status 1 \(Job has reached the specified backoff limit\)$/);
  });

  it("names the last attempt's termination message in the failure, keeping BackoffLimitExceeded as the reason", async () => {
    const stack = await startStack(redis, {
      kubesim: {
        scenario: [
          { match: { args: "push-denied" }, attempts: [{ exit: { code: 1, afterMs: 3_000, message: "error pushing image: failed to push to destination registry.internal:5000/team/app:v1.0.0: UNAUTHORIZED" } }] },
        ],
      },
    });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ retries: 0, buildArgs: { MODE: "push-denied" } }));
    const done = await stack.waitForTerminal(build.id);
    expect(done.failure?.reason).toBe("BackoffLimitExceeded");
    expect(done.failure?.message).toContain("exited 1: error pushing image: failed to push to destination registry.internal:5000/team/app:v1.0.0: UNAUTHORIZED");
  });

  it.each([
    { retries: 0, retryingAttempts: [] },
    { retries: 2, retryingAttempts: [2, 3] },
  ])("announces no retry the backoffLimit does not allow (retries: $retries)", async ({ retries, retryingAttempts }) => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "broken" }, attempts: [{ exit: { code: 2, afterMs: 1_000 } }] }] },
    });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ retries, buildArgs: { MODE: "broken" } }));

    await stack.waitForTerminal(build.id);

    const events = await stack.store.events(build.id);
    const retrying = events.filter((e) => e.type === "build.retrying").map((e) => (e.data as { attempt: number }).attempt);
    expect(retrying).toEqual(retryingAttempts);
    expect(events.at(-1)).toMatchObject({ type: "build.failed", data: { attempts: retries + 1 } });
  });

  it("fails with DeadlineExceeded when the run timeout passes", async () => {
    const stack = await startStack(redis, { kubesim: { scenario: [{ match: { args: "slow" }, attempts: [{ hang: {} }] }] } });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ timeouts: { runSeconds: 60 }, buildArgs: { MODE: "slow" } }));

    const done = await stack.waitForTerminal(build.id);

    expect(done).toMatchObject({ state: "failed", failure: { reason: "DeadlineExceeded" } });
  });

  it("reports OOMKilled as its own failure", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "hungry" }, attempts: [{ oomKilled: { afterMs: 2_000 } }] }] },
    });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ retries: 0, buildArgs: { MODE: "hungry" } }));

    const done = await stack.waitForTerminal(build.id);

    expect(done).toMatchObject({ state: "failed", failure: { reason: "OOMKilled" } });
    expect(done.attempts[0]).toMatchObject({ reason: "OOMKilled", exitCode: 137 });
  });

  it("does not count an eviction against retries", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "evicted" }, attempts: [{ evict: { afterMs: 2_000 } }, { succeed: {} }] }] },
    });
    await stack.startWorker();
    // retries: 0 — if the eviction counted, the Job would fail.
    const build = await stack.submit(volumeRequest({ retries: 0, buildArgs: { MODE: "evicted" } }));

    const done = await stack.waitForTerminal(build.id);

    expect(done.state).toBe("succeeded");
    expect(await stack.podsFor(build.id)).toHaveLength(2);
    expect((await stack.store.events(build.id)).at(-1)?.data).toMatchObject({ attempts: 1 });
  });

  it("builds inline files from a ConfigMap the Job owns", async () => {
    const stack = await startStack(redis);
    await stack.startWorker();
    const build = await stack.submit(mirrorRequest());

    const done = await stack.waitForTerminal(build.id);

    expect(done.state).toBe("succeeded");
    const configMaps = stack.sim.control.store.list("configmaps", "buildfleet").items;
    const owned = configMaps.filter((cm) => cm.metadata.ownerReferences?.some((o) => o.kind === "Job" && o.name === done.jobName));
    expect(owned).toHaveLength(1);
  });
});
