import { parseBuildRequest } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { allowListIssues, registryAllowed } from "./allow-list.js";

describe("registryAllowed", () => {
  it.each([
    [["registry.internal:5000"], "registry.internal:5000/team/app:v1", true],
    [["registry.internal:5000"], "registry.internal:5001/team/app:v1", false],
    [["REGISTRY.internal:5000"], "registry.internal:5000/app:v1", true],
    [["ghcr.io/team-a"], "ghcr.io/team-a/app:v1", true],
    [["ghcr.io/team-a"], "ghcr.io/team-a:v1", true],
    [["ghcr.io/team-a"], "ghcr.io/team-ab/app:v1", false],
    [["ghcr.io/team-a/"], "ghcr.io/team-a/app:v1", true],
    [["docker.io"], "busybox:latest", true],
    [["docker.io/library"], "busybox:latest", true],
    [["ghcr.io/team-a"], "ghcr.io/team-b/app:v1", false],
    [[], "ghcr.io/team-a/app:v1", false],
    [["ghcr.io"], "not a reference", false],
  ])("%j admits %s: %s", (allowed, ref, expected) => {
    expect(registryAllowed(allowed, ref)).toBe(expected);
  });
});

describe("allowListIssues", () => {
  const request = parseBuildRequest({
    context: { type: "volume", claimName: "ws", path: "app" },
    destinations: ["ghcr.io/team-a/app:v1", "ghcr.io/team-b/app:v1"],
    registryCredentials: { secretName: "other-cred" },
    cache: { enabled: true, repository: "ghcr.io/team-b/cache" },
  });

  it("names every field outside the allow-lists", () => {
    const issues = allowListIssues({ tenant: "team-a", registries: ["ghcr.io/team-a"], secrets: ["regcred"], claims: ["team-a-ws"] }, request);
    expect(issues.map((i) => i.path)).toEqual(["destinations[1]", "cache.repository", "registryCredentials.secretName", "context.claimName"]);
    expect(issues[3]?.message).toContain('"ws"');
    expect(issues[0]?.message).toContain("ghcr.io/team-b/app:v1");
  });

  it("finds nothing when everything is allowed", () => {
    expect(
      allowListIssues({ tenant: "team-a", registries: ["ghcr.io"], secrets: ["other-cred"], claims: ["ws"] }, request),
    ).toEqual([]);
  });
});
