import { parseBuildRequest } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { classifyAddress, contextHost, contextHostIssue, hostListed } from "./context-hosts.js";

describe("classifyAddress", () => {
  it.each([
    ["169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["127.0.0.1", "internal"],
    ["127.10.0.1", "internal"],
    ["::1", "internal"],
    ["::ffff:127.0.0.1", "internal"],
    ["::ffff:10.0.0.1", "internal"],
    ["10.0.0.5", "internal"],
    ["172.16.0.1", "internal"],
    ["172.31.255.255", "internal"],
    ["192.168.1.1", "internal"],
    ["100.64.0.1", "internal"],
    ["169.254.1.1", "internal"],
    ["fe80::1", "internal"],
    ["fd12:3456::1", "internal"],
    ["0.0.0.0", "internal"],
    ["not-an-address", "internal"],
    ["172.32.0.1", "public"],
    ["140.82.112.3", "public"],
    ["2606:50c0:8000::153", "public"],
  ])("%s is %s", (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe("contextHostIssue", () => {
  const tenant = { tenant: "team-a", contextHosts: ["git.internal", "*.corp.example"] };

  it("admits a host that resolves only to public addresses", () => {
    expect(contextHostIssue({ tenant: "team-a" }, "github.com", { ok: true, addresses: ["140.82.112.3"] })).toBeUndefined();
  });

  it("judges by every resolved address: one internal address among public ones is refused", () => {
    const issue = contextHostIssue({ tenant: "team-a" }, "rebind.example", { ok: true, addresses: ["140.82.112.3", "10.0.0.5"] });
    expect(issue).toMatchObject({ path: "context.url" });
    expect(issue?.message).toContain("rebind.example");
  });

  it("admits listed hosts that resolve inside the network, exactly or by a *. suffix", () => {
    const internal = { ok: true as const, addresses: ["10.0.0.5"] };
    expect(contextHostIssue(tenant, "git.internal", internal)).toBeUndefined();
    expect(contextHostIssue(tenant, "GIT.internal", internal)).toBeUndefined();
    expect(contextHostIssue(tenant, "src.corp.example", internal)).toBeUndefined();
    expect(contextHostIssue(tenant, "corp.example", internal)).toBeDefined();
    expect(contextHostIssue(tenant, "evilcorp.example", internal)).toBeDefined();
  });

  it("never admits the cloud metadata address, listed or not", () => {
    expect(contextHostIssue({ tenant: "a", contextHosts: ["169.254.169.254"] }, "169.254.169.254", { ok: true, addresses: ["169.254.169.254"] })).toBeDefined();
  });

  it("refuses a host that does not resolve, saying why", () => {
    expect(contextHostIssue(tenant, "nowhere.example", { ok: false, why: "ENOTFOUND" })?.message).toContain("ENOTFOUND");
  });
});

describe("contextHost", () => {
  const req = (context: unknown) => parseBuildRequest({ context, destinations: ["registry.internal:5000/a/b:v1"] }).context;
  it("is the host of git and https URLs, IPv6 without brackets, and nothing for buckets or volumes", () => {
    expect(contextHost(req({ type: "git", url: "https://GitHub.com/a/b.git" }))).toBe("github.com");
    expect(contextHost(req({ type: "tarball", url: "https://[::1]:8443/x.tar.gz" }))).toBe("::1");
    expect(contextHost(req({ type: "tarball", url: "s3://bucket/x.tar.gz" }))).toBeUndefined();
    expect(contextHost(req({ type: "volume", claimName: "ws", path: "x" }))).toBeUndefined();
  });
  it("lists hosts case-insensitively", () => {
    expect(hostListed(["Git.Internal"], "git.internal")).toBe(true);
  });
});
