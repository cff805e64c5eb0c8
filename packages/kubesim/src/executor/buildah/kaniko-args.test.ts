import { describe, expect, it } from "vitest";
import { parseKanikoArgs, UnsupportedKanikoFlag } from "./kaniko-args.js";

describe("parseKanikoArgs", () => {
  it("reads every flag buildfleet renders", () => {
    const build = parseKanikoArgs([
      "--context=dir:///workspace/app",
      "--dockerfile=/workspace/app/Dockerfile",
      "--destination=registry.internal:5000/a:1",
      "--destination=registry.internal:5000/a:latest",
      "--build-arg=BASE=busybox",
      "--target=final",
      "--label=team=x",
      "--cache=true",
      "--cache-repo=registry.internal:5000/cache",
      "--cache-ttl=6h",
      "--push-retry=3",
      "--snapshot-mode=redo",
      "--compressed-caching=false",
      "--digest-file=/dev/termination-log",
    ]);
    expect(build).toEqual({
      context: { kind: "dir", path: "/workspace/app" },
      dockerfile: "/workspace/app/Dockerfile",
      destinations: ["registry.internal:5000/a:1", "registry.internal:5000/a:latest"],
      buildArgs: ["BASE=busybox"],
      target: "final",
      labels: ["team=x"],
      noPush: false,
      cache: true,
      cacheRepo: "registry.internal:5000/cache",
      cacheTtl: "6h",
      pushRetry: 3,
      digestFile: "/dev/termination-log",
    });
  });

  it("reads git and tarball contexts with a sub-path", () => {
    expect(parseKanikoArgs(["--context=git:///srv/repo.git#refs/heads/main#abc123", "--context-sub-path=app", "--no-push"])).toMatchObject({
      context: { kind: "git", repository: "/srv/repo.git", ref: "refs/heads/main", commit: "abc123" },
      contextSubPath: "app",
      noPush: true,
    });
    expect(parseKanikoArgs(["-c", "http://127.0.0.1:8080/ctx.tar.gz", "-d", "x/y:1"]).context).toEqual({ kind: "tar", url: "http://127.0.0.1:8080/ctx.tar.gz" });
  });

  it("refuses a flag it cannot honour, naming it", () => {
    const err = (() => {
      try {
        parseKanikoArgs(["--context=dir:///w", "--destination=a/b:1", "--reproducible"]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UnsupportedKanikoFlag);
    expect((err as Error).message).toContain("--reproducible");
  });

  it("refuses a build without destination unless --no-push, and a context kaniko would not read", () => {
    expect(() => parseKanikoArgs(["--context=dir:///w"])).toThrow(/--destination/);
    expect(() => parseKanikoArgs(["--context=s3://bucket/ctx.tgz", "--no-push"])).toThrow(/--context/);
    expect(() => parseKanikoArgs(["--context=dir:///w", "--no-push", "--build-arg=FROM_ENV"])).toThrow(/--build-arg/);
  });
});
