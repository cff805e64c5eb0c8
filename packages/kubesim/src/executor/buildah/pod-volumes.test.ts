import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hostPathFor, materialiseVolumes } from "./pod-volumes.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("pod volumes", () => {
  it("writes ConfigMap items and a Secret's .dockerconfigjson as config.json, and maps container paths", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vol-test-"));
    dirs.push(dir);
    const mounts = await materialiseVolumes(
      dir,
      [
        { name: "ctx", configMap: { name: "c", items: [{ key: "file-0", path: "src/main.txt" }] } },
        { name: "creds", secret: { secretName: "regcred", items: [{ key: ".dockerconfigjson", path: "config.json" }] } },
        { name: "ws", persistentVolumeClaim: { claimName: "claim" } },
      ],
      [
        { name: "ctx", mountPath: "/workspace" },
        { name: "creds", mountPath: "/kaniko/.docker" },
        { name: "ws", mountPath: "/data", subPath: "apps" },
      ],
      {
        configMap: (n) => (n === "c" ? { "file-0": "hello" } : undefined),
        secret: (n) => (n === "regcred" ? { ".dockerconfigjson": '{"auths":{}}' } : undefined),
        claimDir: (c) => join("/vols/ns", c),
      },
    );
    expect(await readFile(hostPathFor(mounts, "/workspace/src/main.txt") ?? "", "utf8")).toBe("hello");
    expect(await readFile(hostPathFor(mounts, "/kaniko/.docker/config.json") ?? "", "utf8")).toBe('{"auths":{}}');
    expect(hostPathFor(mounts, "/data/one/Dockerfile")).toBe("/vols/ns/claim/apps/one/Dockerfile");
    expect(hostPathFor(mounts, "/etc/passwd")).toBeUndefined();
  });

  it("refuses a missing ConfigMap key and an item path that leaves the volume", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vol-test-"));
    dirs.push(dir);
    const sources = { configMap: () => ({ a: "x" }), secret: () => undefined, claimDir: (c: string) => c };
    await expect(materialiseVolumes(dir, [{ name: "v", configMap: { name: "c", items: [{ key: "b", path: "b" }] } }], [], sources)).rejects.toThrow(/key "b"/);
    await expect(materialiseVolumes(dir, [{ name: "v", configMap: { name: "c", items: [{ key: "a", path: "../../x" }] } }], [], sources)).rejects.toThrow(/leaves the volume/);
  });
});
