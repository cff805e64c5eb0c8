import { describe, expect, it } from "vitest";
import { buildahCommands, LOCAL_IMAGE } from "./build-plan.js";
import { parseKanikoArgs } from "./kaniko-args.js";

const rw = { registry: "127.0.0.1:5999", aliases: ["registry.internal:5000"] };
const paths = {
  storageRoot: "/b/root",
  runRoot: "/b/run",
  registriesConf: "/b/registries.conf",
  signaturePolicy: "/b/policy.json",
  contextDir: "/b/ctx",
  dockerfile: "/b/ctx/Dockerfile",
  authFile: "/b/auth.json",
  digestFile: "/b/digest",
  ociDir: "/b/oci",
};

function argsOf(flags: string[]): string[][] {
  return buildahCommands(parseKanikoArgs(flags), paths, rw).map((c) => c.args);
}

describe("buildahCommands", () => {
  it("builds once with vfs, chroot and per-build storage, then pushes each destination; the first writes the digest", () => {
    const [build, push1, push2] = argsOf([
      "--context=dir:///w",
      "--destination=registry.internal:5000/a:1",
      "--destination=ghcr.io/a:1",
      "--build-arg=X=1",
      "--target=final",
      "--label=k=v",
      "--push-retry=4",
    ]);
    expect(build).toEqual(expect.arrayContaining(["--storage-driver", "vfs", "--root", "/b/root", "--isolation", "chroot", "--authfile", "/b/auth.json"]));
    expect(build?.join(" ")).toContain("--build-arg X=1 --target final --label k=v");
    expect(build?.at(-1)).toBe("/b/ctx");
    expect(push1?.slice(-2)).toEqual([LOCAL_IMAGE, "docker://127.0.0.1:5999/a:1"]);
    expect(push1).toEqual(expect.arrayContaining(["--tls-verify=false", "--digestfile", "/b/digest", "--retry", "4"]));
    expect(push2?.slice(-2)).toEqual([LOCAL_IMAGE, "docker://ghcr.io/a:1"]);
    expect(push2).not.toContain("--digestfile");
    expect(push2).not.toContain("--tls-verify=false");
  });

  it("maps --cache to --layers and --cache-repo to --cache-from/--cache-to on the rewritten host", () => {
    const [build] = argsOf(["--context=dir:///w", "--destination=a/b:1", "--cache=true", "--cache-repo=registry.internal:5000/cache", "--cache-ttl=2h"]);
    expect(build?.join(" ")).toContain("--layers --cache-from 127.0.0.1:5999/cache --cache-to 127.0.0.1:5999/cache --cache-ttl 2h");
  });

  it("with --no-push only learns the digest from an oci: layout", () => {
    const commands = argsOf(["--context=dir:///w", "--destination=a/b:1", "--no-push"]);
    expect(commands).toHaveLength(2);
    expect(commands[1]?.slice(-2)).toEqual([LOCAL_IMAGE, "oci:/b/oci"]);
  });
});
