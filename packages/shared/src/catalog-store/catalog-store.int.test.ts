import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { keyspace } from "../redis/keyspace.js";
import { CatalogStore } from "./catalog-store.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const PARENT = `sha256:${"b".repeat(64)}`;

describe("CatalogStore.recordBuild", () => {
  const redis = useRedis();

  it("lets a wave's record complete the same build recorded first without its pins, and never the other way", async () => {
    const store = new CatalogStore(redis.connection(), keyspace(`{t${Date.now()}}`));
    // The coordinator saw the build's event before the wave saved its link: recorded as built outside a wave.
    await store.recordBuild("team-a/app", { buildId: "b1", digest: DIGEST, builtFrom: {} });
    // The wave's own step then records the pins it built from.
    await store.recordBuild("team-a/app", { buildId: "b1", digest: DIGEST, builtFrom: { "reg/runtime:v1": PARENT }, waveId: "w1" });
    expect((await store.status("team-a/app"))?.builtFrom).toEqual({ "reg/runtime:v1": PARENT });
    // A later record of the same build without pins changes nothing; the digest history holds it once.
    await store.recordBuild("team-a/app", { buildId: "b1", digest: DIGEST, builtFrom: {} });
    const status = await store.status("team-a/app");
    expect(status?.builtFrom).toEqual({ "reg/runtime:v1": PARENT });
    expect(status?.lastWaveId).toBe("w1");
    expect(status?.digests).toEqual([DIGEST]);
  });
});
