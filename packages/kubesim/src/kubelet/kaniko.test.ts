import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dockerfileStages } from "./dockerfile.js";
import { flagValues, isKanikoContainer, isKanikoDigestContainer, kanikoDigest, kanikoLogPlan } from "./kaniko.js";

const args = ["--context=/w", "--destination=r.local/a:1", "-d", "r.local/a:2", "--digest-file=/dev/termination-log"];

describe("kaniko", () => {
  it("recognises the executor by --digest-file=/dev/termination-log in either flag form", () => {
    expect(isKanikoDigestContainer(args)).toBe(true);
    expect(isKanikoDigestContainer(["--digest-file", "/dev/termination-log"])).toBe(true);
    expect(isKanikoDigestContainer(["--digest-file=/tmp/digest"])).toBe(false);
  });

  it("recognises the executor by image or by its build flags", () => {
    expect(isKanikoContainer("gcr.io/kaniko-project/executor:v1.23.2", [])).toBe(true);
    expect(isKanikoContainer("ghcr.io/osscontainertools/kaniko/executor@sha256:abc", [])).toBe(true);
    expect(isKanikoContainer("registry.local/tools/builder:1", ["--context=/w", "--destination=r/a:1"])).toBe(true);
    expect(isKanikoContainer("busybox:1.36", ["--context=/w"])).toBe(false);
  });

  it("reads repeated flags in order", () => {
    expect(flagValues(args, "--destination", "-d")).toEqual(["r.local/a:1", "r.local/a:2"]);
  });

  it("derives the digest as sha256 of {destinations, args}: deterministic and input-sensitive", () => {
    const expected = createHash("sha256")
      .update(JSON.stringify({ destinations: ["r.local/a:1", "r.local/a:2"], args }))
      .digest("hex");
    expect(kanikoDigest(args)).toBe(`sha256:${expected}`);
    expect(kanikoDigest([...args, "--cache=true"])).not.toBe(kanikoDigest(args));
  });

  it("plans push lines per destination only on success, with times in whole seconds", () => {
    const ok = kanikoLogPlan(args, 10_000, "success").map((l) => l.text);
    expect(ok.filter((l) => l.includes("Pushed "))).toEqual([
      `INFO[0009] Pushed r.local/a:1@${kanikoDigest(args)}`,
      `INFO[0010] Pushed r.local/a:2@${kanikoDigest(args)}`,
    ]);
    const failed = kanikoLogPlan(args, 10_000, "failure").map((l) => l.text);
    expect(failed.some((l) => l.includes("Push"))).toBe(false);
    expect(failed.at(-1)).toMatch(/^error building image/);
  });

  it("never lets the INFO[ssss] elapsed seconds go backwards", () => {
    const stages = dockerfileStages("FROM a:1 AS x\nRUN one\nFROM x\nRUN two\nCOPY . /\n", {});
    for (const runMs of [200, 5_000, 600_000]) {
      const seconds = kanikoLogPlan(args, runMs, "success", stages).map((l) => Number(/^INFO\[(\d{4})\]/.exec(l.text)?.[1]));
      expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
      expect(seconds.every((n) => Number.isInteger(n))).toBe(true);
    }
  });

  it("without the Dockerfile prints only the steps Kaniko always prints: no invented base or instruction", () => {
    const text = kanikoLogPlan(args, 10_000, "success").map((l) => l.text.replace(/^INFO\[\d{4}\] /, ""));
    expect(text).toEqual([
      "Built cross stage deps: map[]",
      "Executing 0 build triggers",
      "Pushing image to r.local/a:1",
      `Pushed r.local/a:1@${kanikoDigest(args)}`,
      "Pushing image to r.local/a:2",
      `Pushed r.local/a:2@${kanikoDigest(args)}`,
    ]);
    expect(kanikoLogPlan(["--build-arg=BASE_IMAGE=alpine:3.20", ...args], 10_000, "success").some((l) => l.text.includes("alpine"))).toBe(false);
  });

  it("with the Dockerfile names each stage's real FROM and prints its own instructions, a snapshot after each RUN", () => {
    const dockerfile = "ARG GO=1.22\nFROM golang:${GO} AS build\nWORKDIR /src\nCOPY . /src\nRUN go build -o /out/app \\\n  ./cmd/app\nFROM build AS test\nRUN go test ./...\nFROM registry.internal:5000/base/distroless:v1\nCOPY --from=build /out/app /app\nENTRYPOINT [\"/app\"]\n";
    const text = kanikoLogPlan(args, 10_000, "success", dockerfileStages(dockerfile, {})).map((l) => l.text.replace(/^INFO\[\d{4}\] /, ""));
    expect(text.slice(0, -4)).toEqual([
      "Retrieving image manifest golang:1.22",
      "Retrieving image golang:1.22 from registry index.docker.io",
      "Retrieving image manifest registry.internal:5000/base/distroless:v1",
      "Retrieving image registry.internal:5000/base/distroless:v1 from registry registry.internal:5000",
      "Built cross stage deps: map[0:[/out/app]]",
      "Retrieving image manifest golang:1.22",
      "Returning cached image manifest",
      "Executing 0 build triggers",
      "Building stage 'golang:1.22' [idx: '0', base-idx: '-1']",
      "WORKDIR /src",
      "COPY . /src",
      "Taking snapshot of files...",
      "RUN go build -o /out/app ./cmd/app",
      "Taking snapshot of full filesystem...",
      "Deleting filesystem...",
      "Executing 0 build triggers",
      "Building stage 'build' [idx: '1', base-idx: '0']",
      "RUN go test ./...",
      "Taking snapshot of full filesystem...",
      "Deleting filesystem...",
      "Retrieving image manifest registry.internal:5000/base/distroless:v1",
      "Returning cached image manifest",
      "Executing 0 build triggers",
      "Building stage 'registry.internal:5000/base/distroless:v1' [idx: '2', base-idx: '-1']",
      "COPY --from=build /out/app /app",
      "Taking snapshot of files...",
      'ENTRYPOINT ["/app"]',
    ]);
    expect(text).not.toContain("RUN make build");
  });

  it("ends a failed build at its last RUN with Kaniko's error, and never pushes", () => {
    const stages = dockerfileStages("FROM busybox:1.36\nRUN false\nCOPY a /a\n", {});
    const text = kanikoLogPlan(args, 10_000, "failure", stages).map((l) => l.text.replace(/^INFO\[\d{4}\] /, ""));
    expect(text.at(-2)).toBe("RUN false");
    expect(text.at(-1)).toMatch(/^error building image: /);
    expect(text).not.toContain("COPY a /a");
  });
});
