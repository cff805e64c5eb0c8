import { describe, expect, it } from "vitest";
import { parsePairs, requestFromFlags } from "./from-flags.js";

describe("requestFromFlags", () => {
  it("builds a mirror request from flags alone", () => {
    expect(
      requestFromFlags({
        dockerfileInline: "FROM busybox:latest",
        destination: ["registry.internal:5000/mirror/busybox:1.36", "registry.internal:5000/mirror/busybox:latest"],
        retries: "1",
        priority: "bulk",
      }),
    ).toEqual({
      context: { type: "inline", files: {} },
      dockerfile: { inline: "FROM busybox:latest" },
      destinations: ["registry.internal:5000/mirror/busybox:1.36", "registry.internal:5000/mirror/busybox:latest"],
      retries: 1,
      priority: "bulk",
    });
  });

  it("builds a PVC request with credentials and build args", () => {
    const doc = requestFromFlags({
      pvc: "kaniko-workspace:my-build",
      destination: ["registry.example.com/team/app:v1"],
      secret: "regcred",
      buildArg: ["VERSION=1.2.3", "OPTS=a=b c"],
    });
    expect(doc).toMatchObject({
      context: { type: "volume", claimName: "kaniko-workspace", path: "my-build" },
      registryCredentials: { secretName: "regcred" },
      buildArgs: { VERSION: "1.2.3", OPTS: "a=b c" },
    });
  });

  it("lets flags override a file and merges maps", () => {
    const base = { context: { type: "git", url: "https://x/y.git" }, destinations: ["r/a:v1"], buildArgs: { A: "1", B: "2" } };
    const doc = requestFromFlags({ destination: ["r/a:v2"], buildArg: ["B=3"] }, base);
    expect(doc).toMatchObject({ context: base.context, destinations: ["r/a:v2"], buildArgs: { A: "1", B: "3" } });
  });

  it.each([
    [{ destination: ["r/a:v1"] }, /no build context/],
    [{ pvc: "c:p" }, /no destination/],
    [{ pvc: "c:p", git: "https://x", destination: ["r/a:v1"] }, /one of/],
    [{ pvc: "c:p", destination: ["r/a:v1"], retries: "two" }, /whole number/],
    [{ pvc: "c:p", destination: ["r/a:v1"], gitRef: "main" }, /need --git/],
  ])("refuses %j", (flags, message) => {
    expect(() => requestFromFlags(flags)).toThrow(message);
  });

  it("refuses a pair without '='", () => {
    expect(() => parsePairs(["NOVALUE"], "--build-arg")).toThrow(/KEY=VALUE/);
  });
});
