import { describe, expect, it } from "vitest";
import { pushReference, qualify, registriesConf, rewriteAuthFile } from "./registry-rewrite.js";

const rw = { registry: "127.0.0.1:5999", aliases: ["registry.internal:5000"] };

describe("registry rewrite", () => {
  it("qualifies short names the way docker does", () => {
    expect(qualify("busybox")).toBe("docker.io/library/busybox");
    expect(qualify("team/app:1")).toBe("docker.io/team/app:1");
    expect(qualify("localhost/x")).toBe("localhost/x");
    expect(qualify("registry.internal:5000/a")).toBe("registry.internal:5000/a");
  });

  it("sends docker.io and alias pushes to the local registry, other hosts unchanged", () => {
    expect(pushReference("registry.internal:5000/apps/a:1", rw)).toBe("127.0.0.1:5999/apps/a:1");
    expect(pushReference("busybox:mine", rw)).toBe("127.0.0.1:5999/library/busybox:mine");
    expect(pushReference("127.0.0.1:6000/x:1", rw)).toBe("127.0.0.1:6000/x:1");
    expect(pushReference("ghcr.io/x:1", rw)).toBe("ghcr.io/x:1");
  });

  it("writes registries.conf mirroring docker.io and the aliases, loopback destinations over http", () => {
    const conf = registriesConf(rw, ["127.0.0.1:6000", "ghcr.io"]);
    expect(conf).toContain('prefix = "docker.io"\nlocation = "127.0.0.1:5999"\ninsecure = true');
    expect(conf).toContain('prefix = "registry.internal:5000"\nlocation = "127.0.0.1:5999"');
    expect(conf).toContain('location = "127.0.0.1:6000"\ninsecure = true');
    expect(conf).not.toContain("ghcr.io");
  });

  it("copies an alias's credentials to the registry host, keeping an entry written for it", () => {
    expect(rewriteAuthFile({ auths: { "registry.internal:5000": { auth: "YTpi" } } }, rw)).toEqual({
      auths: { "registry.internal:5000": { auth: "YTpi" }, "127.0.0.1:5999": { auth: "YTpi" } },
    });
    expect(rewriteAuthFile({ auths: { "127.0.0.1:5999": { auth: "own" }, "https://index.docker.io/v1/": { auth: "hub" } } }, rw).auths["127.0.0.1:5999"]).toEqual({ auth: "own" });
  });
});
