import { submitBuild, type BuildQueues, type SubmitResult } from "@buildfleet/shared";
import { parseBuildRequest, type BuildRequest, type QueuedBuild } from "@buildfleet/contract";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { TERMINAL_EVENTS, startStack, volumeRequest, type Stack } from "../test-support/stack.js";

/**
 * Two submits with one idempotency key that both read the key as free (a
 * client retrying on a timeout) must end in one build: one record, one Job in
 * the cluster, and both answers naming it, even when a worker takes the
 * loser's queue entry before the loser learns that it lost.
 */
describe("worker: concurrent submits with one idempotency key", () => {
  const redis = useRedis();

  const idOf = (res: SubmitResult): string => (res.created ? res.record.id : res.buildId);
  const requestOf = (stack: Stack): BuildRequest => parseBuildRequest(volumeRequest(), { tagPolicy: stack.config.builds.tagPolicy });

  /** Resolves once a worker has taken the entry (active, or already done with it). */
  async function taken(stack: Stack, buildId: string): Promise<void> {
    await expect.poll(() => stack.queue.getJobState(buildId), { timeout: 20_000 }).toMatch(/^(active|completed|unknown)$/);
  }

  /**
   * The stack's queue, except that an add returns only once a worker has taken the entry (and
   * `then` has run): the submit writes its record after that.
   */
  function queueTakenFirst(stack: Stack, then?: (entry: QueuedBuild) => Promise<void>): Pick<BuildQueues, "add" | "remove"> {
    return {
      add: async (name, data: QueuedBuild, opts) => {
        const job = await stack.queues.add(name, data, opts);
        await taken(stack, data.buildId);
        await then?.(data);
        return job;
      },
      remove: (id) => stack.queues.remove(id),
    };
  }

  /** The entries nobody has finished with yet (none once every build and every dropped entry is done). */
  async function pending(stack: Stack): Promise<number> {
    const counts = await stack.queue.getJobCounts("waiting", "active", "delayed", "prioritized");
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  async function expectOneBuild(stack: Stack, buildId: string): Promise<void> {
    expect((await stack.waitForTerminal(buildId)).state).toBe("succeeded");
    await expect.poll(() => pending(stack), { timeout: 20_000 }).toBe(0);
    // Dropped, not failed: a refused entry would sit in BullMQ's failed set.
    expect(await stack.queue.getJobCountByTypes("failed")).toBe(0);
    expect(stack.sim.control.store.list("jobs", "buildfleet").items.map((j) => j.metadata.labels?.["buildfleet.dev/build-id"])).toEqual([buildId]);
    expect(await redis.connection().zrange(stack.ks.buildIndex, "0", "-1")).toEqual([buildId]);
    expect((await stack.store.events(buildId)).filter((e) => TERMINAL_EVENTS.has(e.type))).toHaveLength(1);
  }

  it("drops the loser's entry a worker took before the loser's record was written", async () => {
    const stack = await startStack(redis);
    await stack.startWorker();
    const request = requestOf(stack);
    const key = "release-1.0.0";
    let winner: SubmitResult | undefined;
    let loserId = "";
    // The loser reads the key as free, then the winner's whole submit runs: it claims the key.
    const store = new Proxy(stack.store, {
      get(target, prop, receiver) {
        if (prop !== "findIdempotent") return Reflect.get(target, prop, receiver) as unknown;
        return async (tenant: string, k: string) => {
          const found = await target.findIdempotent(tenant, k);
          winner = await submitBuild({ store: target, queue: stack.queues }, { tenant, request, idempotencyKey: k });
          return found;
        };
      },
    });
    // The loser's entry is taken by the running worker before the loser writes its record.
    const queue = queueTakenFirst(stack, (entry) => {
      loserId = entry.buildId;
      return Promise.resolve();
    });

    const loser = await submitBuild({ store, queue }, { tenant: "team-a", request, idempotencyKey: key });

    expect(winner?.created).toBe(true);
    const winnerId = idOf(winner!);
    expect(loser).toMatchObject({ created: false, buildId: winnerId });
    await expectOneBuild(stack, winnerId);
    expect(await stack.store.get(loserId)).toBeUndefined();
    expect(await stack.store.events(loserId)).toEqual([]);
  });

  it("keeps the loser's build when a worker recorded it under the key before the other submit wrote its own", async () => {
    const stack = await startStack(redis);
    await stack.startWorker();
    const request = requestOf(stack);
    const key = "release-1.0.1";
    let other: SubmitResult | undefined;
    // Both read the key as free; the first entry is taken and recorded by the worker, then the other submit runs.
    const queue = queueTakenFirst(stack, async (entry) => {
      await expect.poll(() => stack.store.get(entry.buildId), { timeout: 20_000 }).toBeDefined();
      // The other submit read the key as free as well, before the worker claimed it.
      const freeStore = new Proxy(stack.store, {
        get(target, prop, receiver) {
          if (prop === "findIdempotent") return () => Promise.resolve(undefined);
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
      other = await submitBuild({ store: freeStore, queue: stack.queues }, { tenant: "team-a", request, idempotencyKey: key });
    });

    const first = await submitBuild({ store: stack.store, queue }, { tenant: "team-a", request, idempotencyKey: key });

    expect(first.created).toBe(true);
    expect(other).toMatchObject({ created: false, buildId: idOf(first) });
    await expectOneBuild(stack, idOf(first));
  });

  it("runs one build per key for 20 rounds of 5 concurrent submits with one key each", async () => {
    const stack = await startStack(redis, { env: { WORKER_CONCURRENCY: "100" } });
    await stack.startWorker();
    const request = requestOf(stack);
    // Every other submit writes its record only once a worker holds its entry: the window a client's
    // retry on a slow API hits, too short to be met reliably by plain concurrency on an idle queue.
    const slow = queueTakenFirst(stack);
    const rounds = await Promise.all(
      Array.from({ length: 20 }, async (_, round) => {
        const answers = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            submitBuild({ store: stack.store, queue: i % 2 === 1 ? slow : stack.queues }, { tenant: "team-a", request, idempotencyKey: `race-${round}` }),
          ),
        );
        return answers.map(idOf);
      }),
    );

    const winners = rounds.map((ids) => ids[0]!);
    for (const ids of rounds) expect(new Set(ids).size).toBe(1);
    for (const id of winners) expect((await stack.waitForTerminal(id)).state).toBe("succeeded");
    await expect.poll(() => pending(stack), { timeout: 30_000 }).toBe(0);
    expect(await stack.queue.getJobCountByTypes("failed")).toBe(0);
    const jobOwners = stack.sim.control.store.list("jobs", "buildfleet").items.map((j) => j.metadata.labels?.["buildfleet.dev/build-id"]);
    expect(jobOwners.sort()).toEqual([...winners].sort());
    expect((await redis.connection().zrange(stack.ks.buildIndex, "0", "-1")).sort()).toEqual([...winners].sort());
    for (const id of winners) expect((await stack.store.events(id)).filter((e) => TERMINAL_EVENTS.has(e.type))).toHaveLength(1);
  });
});
