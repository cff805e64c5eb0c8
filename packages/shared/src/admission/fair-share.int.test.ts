import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { keyspace } from "../redis/keyspace.js";
import { FairShare, tagStep } from "./fair-share.js";
import { bandScores, lanePriority, MAX_TAG } from "./lane-priority.js";

describe("FairShare", () => {
  const redis = useRedis();

  it("tags a batch as max(virtual time + 1, the tenant's last tag + step/weight), build after build, across batches", async () => {
    const builds: { tenant: string; weight?: number }[] = [
      ...Array.from({ length: 5 }, () => ({ tenant: "team-a" })),
      { tenant: "team-b", weight: 2 },
      { tenant: "team-c", weight: 0.5 },
      ...Array.from({ length: 4 }, (_, i) => (i % 2 === 0 ? { tenant: "team-b", weight: 2 } : { tenant: "team-c", weight: 0.5 })),
      { tenant: "team-a" },
    ];
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    const fair = new FairShare(conn, ks);
    // The model, with nothing taken yet (virtual time 0).
    const last = new Map<string, number>();
    const expected = () => builds.map((b) => {
      const tag = Math.min(MAX_TAG, Math.max(1, (last.get(b.tenant) ?? 0) + tagStep(b.weight)));
      last.set(b.tenant, tag);
      return lanePriority("bulk", tag);
    });
    expect(await fair.priorities("bulk", builds)).toEqual(expected());
    // A build of the lane waiting: the next batch goes on from the tags the first one stored.
    await conn.zadd(`${ks.bullPrefix}:${ks.buildQueue}:prioritized`, bandScores("bulk")[0], "waiting");
    expect(await fair.priorities("bulk", builds)).toEqual(expected());
  });
});
