import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { keyspace } from "../redis/keyspace.js";
import { CatalogStore, type StoredImage } from "./catalog-store.js";
import { parseImage } from "../catalog/image.js";

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

describe("CatalogStore reads", () => {
  const redis = useRedis();
  const image = (name: string, from: string) => ({
    apiVersion: "buildfleet.dev/v1" as const,
    kind: "Image" as const,
    metadata: { name },
    spec: { build: { context: { type: "inline", files: {} }, dockerfile: { inline: `FROM ${from}\n` }, destinations: [`registry.internal:5000/team/${name}:v1`] } },
  });

  it("reads an image changed or deleted by another process as it is now, in all, get and getMany", async () => {
    const ks = keyspace(`{t${Date.now()}}`);
    const reader = new CatalogStore(redis.connection(), ks);
    const writer = new CatalogStore(redis.connection(), ks);
    await writer.apply("team-a", parseImage(image("app", "busybox:1.36")));
    await writer.apply("team-a", parseImage(image("other", "busybox:1.36")));
    expect((await reader.all()).map((s) => s.image.metadata.name)).toEqual(["app", "other"]);

    await writer.apply("team-a", parseImage(image("app", "alpine:3.20")));
    await writer.delete("team-a", "other");

    const dockerfile = (s: StoredImage | undefined) => (s !== undefined && "inline" in s.image.spec.build.dockerfile ? s.image.spec.build.dockerfile.inline : undefined);
    expect((await reader.all()).map(dockerfile)).toEqual(["FROM alpine:3.20\n"]);
    expect(dockerfile(await reader.get("team-a", "app"))).toBe("FROM alpine:3.20\n");
    expect((await reader.getMany(["team-a/app", "team-a/other"])).map(dockerfile)).toEqual(["FROM alpine:3.20\n", undefined]);
  });
});
