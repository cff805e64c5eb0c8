import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors/index.js";
import type { FieldIssue } from "./errors/index.js";
import { priorityValue } from "./priority.js";
import type { BuildRequestInput } from "./build-request.js";
import { parseBuildRequest, validateBuildRequest } from "./validate.js";
import type { ValidateOptions } from "./validate.js";

function issuesOf(input: unknown, options?: ValidateOptions): FieldIssue[] {
  const result = validateBuildRequest(input, options);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.value)}`);
  return result.issues;
}

function accepted(input: unknown, options?: ValidateOptions) {
  const result = validateBuildRequest(input, options);
  if (!result.ok) throw new Error(`expected acceptance, got ${JSON.stringify(result.issues, null, 2)}`);
  return result.value;
}

const busyboxMirror = {
  context: { type: "inline", files: {} },
  dockerfile: { inline: "FROM busybox:latest" },
  destinations: ["registry.internal:5000/mirror/busybox:1.36", "registry.internal:5000/mirror/busybox:latest"],
} satisfies BuildRequestInput;

/** A request that is valid except for what a test changes. */
const base = (over: Record<string, unknown>) => ({ ...busyboxMirror, ...over });

describe("BuildRequest: real scenarios are accepted", () => {
  it("busybox mirror: an inline one-line Dockerfile pushed to a private registry, with defaults applied", () => {
    const value = accepted(busyboxMirror);
    expect(value).toEqual({
      apiVersion: "buildfleet.dev/v1",
      context: { type: "inline", files: {} },
      dockerfile: { inline: "FROM busybox:latest" },
      destinations: ["registry.internal:5000/mirror/busybox:1.36", "registry.internal:5000/mirror/busybox:latest"],
      timeouts: { runSeconds: 3600, queueSeconds: 1800 },
      retries: 2,
      priority: "normal",
    });
  });

  it("alpine with extra packages: an inline Dockerfile running apk add", () => {
    const value = accepted({
      context: { type: "inline", files: { Dockerfile: "FROM alpine:3.20\nRUN apk add --no-cache busybox-extras curl\n" } },
      destinations: ["registry.internal:5000/tools/alpine-net:3.20-1"],
      resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
      priority: "interactive",
    });
    expect(value.dockerfile).toEqual({ path: "Dockerfile" });
    expect(priorityValue(value.priority)).toBeLessThan(priorityValue("normal"));
  });

  it("a PVC workspace: context on kaniko-workspace under my-build, credentials from the regcred Secret", () => {
    const value = accepted({
      context: { type: "volume", claimName: "kaniko-workspace", path: "my-build" },
      dockerfile: { path: "Dockerfile" },
      destinations: ["registry.example.com/team/app:v2.3.0"],
      registryCredentials: { secretName: "regcred" },
      cache: { enabled: true, repository: "registry.example.com/team/cache", ttl: "24h" },
      idempotencyKey: "app-v2.3.0",
      labels: { team: "payments", "example.com/ticket": "OPS-1234" },
    });
    expect(value.context).toEqual({ type: "volume", claimName: "kaniko-workspace", path: "my-build" });
    expect(value.registryCredentials).toEqual({ secretName: "regcred" });
  });

  describe("the layered set, each pushing a versioned and a latest tag", () => {
    const registry = "registry.example.com/team";
    it.each([
      [
        "debian base with debugging tools",
        "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl procps strace && rm -rf /var/lib/apt/lists/*\n",
        ["debian:v1.0.0", "debian:latest"],
      ],
      [
        "python runtime FROM the base",
        `FROM ${registry}/debian:v1.0.0\nRUN apt-get update && apt-get install -y python3 && rm -rf /var/lib/apt/lists/*\n`,
        ["python:3.11-v1.0.0", "python:latest"],
      ],
      ["app FROM the runtime", `FROM ${registry}/python:3.11-v1.0.0\nCOPY app.py /app/app.py\nCMD ["python3", "/app/app.py"]\n`, ["app:v1.0.0", "app:latest"]],
    ])("%s", (_name, dockerfile, tags) => {
      const value = accepted({
        context: { type: "inline", files: { Dockerfile: dockerfile, "app.py": "print('hello')\n" } },
        destinations: tags.map((t) => `${registry}/${t}`),
        buildArgs: { BASE_VERSION: "v1.0.0", PIP_EXTRA: "--index-url=https://pypi.example.com/simple x y" },
        imageLabels: { "org.opencontainers.image.source": "https://github.com/example/layers" },
        target: "runtime",
      });
      expect(value.destinations).toHaveLength(2);
      expect(value.buildArgs?.PIP_EXTRA).toBe("--index-url=https://pypi.example.com/simple x y");
    });
  });

  it("a git context with ref, commit and sub-path", () => {
    const value = accepted(
      base({
        context: {
          type: "git",
          url: "https://github.com/example/app.git",
          ref: "refs/heads/main",
          commit: "3f786850e387550fdab836ed7e6dc881de23001b",
          subPath: "services/api",
        },
        dockerfile: { path: "docker/Dockerfile.prod" },
      }),
    );
    expect(value.context.type).toBe("git");
  });

  it.each(["s3://build-contexts/app.tar.gz", "gs://bucket/x/app.tgz", "https://files.example.com/ctx.tar.gz?X-Signature=abc"])(
    "a tarball context at %s",
    (url) => {
      expect(accepted(base({ context: { type: "tarball", url }, dockerfile: { path: "Dockerfile" } })).context).toEqual({
        type: "tarball",
        url,
      });
    },
  );

  it("re-parses its own output unchanged (the worker re-validates the queued payload)", () => {
    const once = accepted(busyboxMirror);
    expect(accepted(once)).toEqual(once);
  });
});

describe("BuildRequest: rejections say where, what and how to fix it", () => {
  it("rejects an unknown field instead of dropping it", () => {
    expect(issuesOf(base({ destination: "x" }))).toEqual([
      { path: "destination", message: 'unknown field "destination" (did you mean "destinations"?)' },
    ]);
    expect(issuesOf(base({ Retries: 1 }))[0]?.message).toBe('unknown field "Retries" (did you mean "retries"?)');
    expect(issuesOf(base({ context: { type: "volume", claimName: "kaniko-workspace", path: "my-build", subpath: "x" } }))[0]).toMatchObject({
      path: "context.subpath",
      message: 'unknown field "subpath" (did you mean "subPath"?)',
    });
    expect(issuesOf(base({ cache: { enabled: true, size: 3 } }))).toEqual([
      { path: "cache.size", message: 'unknown field "size"', example: '{ "enabled": true, "ttl": "24h" }' },
    ]);
  });

  it("refuses credentials where only a Secret name belongs", () => {
    const [issue] = issuesOf(base({ registryCredentials: { secretName: "regcred", password: "hunter2" } }));
    expect(issue?.path).toBe("registryCredentials.password");
    expect(issue?.message).toContain("never takes credentials");
  });

  it("names wrong types and missing fields", () => {
    expect(issuesOf({ context: { type: "inline", files: {} }, dockerfile: { inline: "FROM x" }, destinations: "x:1", retries: "3" })).toEqual([
      { path: "destinations", message: "expected an array, got string", example: '["registry.example.com/team/app:v1.2.3"]' },
      { path: "retries", message: "expected number, got string", example: "2" },
    ]);
    expect(issuesOf({ destinations: ["r.io/a:1"] })).toEqual([
      { path: "context", message: "required", example: '{ "type": "git", "url": "https://github.com/example/app.git" }' },
    ]);
    expect(issuesOf([])).toEqual([{ path: "", message: "expected an object, got array" }]);
    expect(issuesOf(undefined)).toEqual([{ path: "", message: "expected a build request object, got nothing" }]);
    expect(issuesOf(base({ context: { type: "inline", files: "Dockerfile" } }))[0]).toMatchObject({
      path: "context.files",
      message: "expected an object, got string",
    });
    expect(issuesOf(base({ retries: 1.5 }))[0]?.message).toBe("expected a whole number, got number 1.5");
  });

  it("names the context types when the type is wrong or missing", () => {
    expect(issuesOf(base({ context: { type: "svn", url: "x" } }))).toEqual([
      { path: "context.type", message: 'expected one of "git", "tarball", "volume", "inline", got "svn"', example: "git" },
    ]);
    expect(issuesOf(base({ context: { url: "x" } }))[0]?.message).toBe('required: one of "git", "tarball", "volume", "inline"');
  });

  describe("tag policy", () => {
    const latestOnly = base({ destinations: ["registry.internal:5000/mirror/busybox:latest"] });
    it("rejects latest-only destinations by default, suggesting a versioned tag", () => {
      expect(issuesOf(latestOnly)).toEqual([
        {
          path: "destinations",
          message: expect.stringContaining('every destination is tagged "latest"') as string,
          example: "registry.internal:5000/mirror/busybox:v1.0.0",
        },
      ]);
      expect(issuesOf(latestOnly, { tagPolicy: "require-versioned" })[0]?.message).toContain("rolled back");
    });
    it("accepts them under allow-latest", () => {
      expect(accepted(latestOnly, { tagPolicy: "allow-latest" }).destinations).toEqual(["registry.internal:5000/mirror/busybox:latest"]);
    });
  });

  it.each([
    ["team app:v1", 'destinations[0]: "team app:v1" is not a valid image reference: it contains a space'],
    ["registry.example.com/Team/App:v1", 'destinations[0]: "registry.example.com/Team/App:v1" is not a valid image reference: repository "Team/App" must be lowercase'],
    ["registry.example.com/team/app", 'destinations[0]: "registry.example.com/team/app" has no tag; name the tag to push'],
    [`registry.example.com/team/app:v1@sha256:${"0".repeat(64)}`, "carries a digest"],
    ["registry.example.com:99999/team/app:v1", 'registry port "99999" is not a number from 1 to 65535'],
  ])("rejects destination %j", (destination, message) => {
    const [issue] = issuesOf(base({ destinations: [destination, "registry.example.com/team/app:v1.0.0"] }));
    expect(`${issue?.path}: ${issue?.message}`).toContain(message);
    expect(issue?.path).toBe("destinations[0]");
    expect(issue?.example).toBe("registry.example.com/team/app:v1.2.3");
  });

  it("rejects duplicate and too many destinations", () => {
    expect(issuesOf(base({ destinations: ["busybox:1", "docker.io/library/busybox:1"] }))).toEqual([
      { path: "destinations[1]", message: '"docker.io/library/busybox:1" is listed twice (also destinations[0])', example: "registry.example.com/team/app:v1.2.3" },
    ]);
    const many = Array.from({ length: 11 }, (_, i) => `r.io/app:v${i}`);
    expect(issuesOf(base({ destinations: many }))[0]).toMatchObject({ path: "destinations", message: "at most 10 destinations are allowed" });
    expect(issuesOf(base({ destinations: [] }))[0]).toMatchObject({ path: "destinations", message: "at least one destination is required" });
  });

  it("rejects newlines in build-arg values and flag-like build-arg keys", () => {
    const issues = issuesOf(base({ buildArgs: { VERSION: "1.0\n--insecure", "--insecure": "true", OK: "a=b c" } }));
    expect(issues).toEqual([
      { path: "buildArgs.VERSION", message: '"1.0\\n--insecure" is not a build-arg value: it contains a newline', example: "1.2.3" },
      {
        path: 'buildArgs["--insecure"]',
        message: '"--insecure" is not a build-arg name: a name starts with a letter or _ and holds at most 128 letters, digits and _',
        example: "APP_VERSION",
      },
    ]);
  });

  it.each([
    [{ dockerfile: { path: "../Dockerfile" } }, "dockerfile.path", "'..' segment, which would leave the build context"],
    [{ dockerfile: { path: "docker/../../etc/Dockerfile" } }, "dockerfile.path", "'..' segment"],
    [{ dockerfile: { path: "/etc/Dockerfile" } }, "dockerfile.path", "it is an absolute path"],
    [{ dockerfile: { path: "docker\\Dockerfile" } }, "dockerfile.path", "backslash"],
    [{ context: { type: "git", url: "https://github.com/example/app.git", subPath: "../other" } }, "context.subPath", "'..' segment"],
    [{ context: { type: "volume", claimName: "kaniko-workspace", path: "my-build/../../x" } }, "context.path", "'..' segment"],
    [{ context: { type: "volume", claimName: "kaniko-workspace", path: "/my-build" } }, "context.path", "absolute path"],
    [{ context: { type: "inline", files: { "../escape.sh": "x" } } }, 'context.files["../escape.sh"]', "'..' segment"],
  ])("rejects path traversal %j", (over, path, message) => {
    const issues = issuesOf(base({ dockerfile: { path: "Dockerfile" }, ...over }));
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)?.message).toContain(message);
  });

  it("rejects a dockerfile with both or neither of path and inline, and a path missing from inline files", () => {
    expect(issuesOf(base({ dockerfile: { path: "Dockerfile", inline: "FROM x" } }))[0]).toMatchObject({
      path: "dockerfile",
      message: "set path or inline, not both",
    });
    expect(issuesOf(base({ dockerfile: {} }))[0]).toMatchObject({ path: "dockerfile", message: "set path or inline" });
    expect(issuesOf(base({ dockerfile: { path: "Dockerfile" } }))[0]).toMatchObject({
      path: "dockerfile.path",
      message: '"Dockerfile" is not one of the inline files (there are none); add it to context.files or use dockerfile.inline',
    });
  });

  it("bounds inline files by count and size", () => {
    const files = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`f${i}.txt`, "x"]));
    expect(issuesOf(base({ context: { type: "inline", files } }))[0]).toMatchObject({
      path: "context.files",
      message: expect.stringContaining("33 inline files are more than the limit of 32") as string,
    });
    const big = { Dockerfile: "FROM x\n", "blob.txt": "x".repeat(512 * 1024) };
    expect(issuesOf(base({ context: { type: "inline", files: big } }))[0]?.message).toContain("more than the limit of 524288 (512 KiB)");
  });

  it.each([
    ["1.5.Gi", "requests.memory"],
    ["-1", "requests.cpu"],
    ["2 Gi", "limits.memory"],
  ])("rejects the quantity %j", (quantity, where) => {
    const [kind, field] = where.split(".") as [string, string];
    const [issue] = issuesOf(base({ resources: { [kind]: { [field]: quantity } } }));
    expect(issue?.path).toBe(`resources.${where}`);
    expect(issue?.message).toBe(`${JSON.stringify(quantity)} is not a Kubernetes quantity: expected a number with an optional suffix, such as 250m, 1, 512Mi or 2Gi`);
  });

  it("rejects a request above its limit", () => {
    expect(issuesOf(base({ resources: { requests: { memory: "2Gi" }, limits: { memory: "512Mi" } } }))[0]).toEqual({
      path: "resources.requests.memory",
      message: 'the request "2Gi" is larger than the limit "512Mi"',
      example: "512Mi",
    });
  });

  it.each([
    [11, "expected a whole number from 0 to 10, got 11"],
    [-1, "expected a whole number from 0 to 10, got -1"],
  ])("rejects retries %j", (retries, message) => {
    expect(issuesOf(base({ retries }))).toEqual([{ path: "retries", message, example: "2" }]);
  });

  it("rejects timeouts out of range", () => {
    expect(issuesOf(base({ timeouts: { runSeconds: 5 } }))[0]).toEqual({
      path: "timeouts.runSeconds",
      message: "expected a whole number from 60 to 86400, got 5",
      example: "3600",
    });
  });

  it.each(["RegCred", "reg_cred", "-regcred", "a".repeat(254)])("rejects the secret name %j", (secretName) => {
    const [issue] = issuesOf(base({ registryCredentials: { secretName } }));
    expect(issue?.path).toBe("registryCredentials.secretName");
    expect(issue?.message).toContain("is not a Kubernetes Secret name");
    expect(issue?.example).toBe("regcred");
  });

  it.each([
    ["ftp://files.example.com/ctx.tar.gz", "the scheme must be one of s3://, gs://, https://"],
    ["http://files.example.com/ctx.tar.gz", "the scheme must be one of s3://, gs://, https://"],
    ["s3://bucket/ctx.zip", "it must end in .tar.gz or .tgz"],
    ["https://files.example.com/ctx.tar.gz\n--insecure", "it contains a newline"],
  ])("rejects the tarball URL %j", (url, message) => {
    const [issue] = issuesOf(base({ context: { type: "tarball", url }, dockerfile: { path: "Dockerfile" } }));
    expect(issue).toMatchObject({ path: "context.url", example: "s3://build-contexts/team/app.tar.gz" });
    expect(issue?.message).toContain(message);
  });

  it.each([
    [{ type: "git", url: "ssh://git@github.com/x/y.git" }, "context.url", "the scheme must be one of https://, http://, git://"],
    [{ type: "git", url: "https://user:token@github.com/x/y.git" }, "context.url", "embeds credentials"],
    [{ type: "git", url: "https://ghp_abc123@github.com/x/y.git" }, "context.url", "embeds credentials"],
    [{ type: "git", url: "https://github.com/x/y.git#refs/heads/main" }, "context.url", "has a #fragment"],
    [{ type: "git", url: "https://github.com/x/y.git", ref: "--upload-pack=evil" }, "context.ref", "starts with '-'"],
    [{ type: "git", url: "https://github.com/x/y.git", commit: "abc" }, "context.commit", "expected 40 lowercase hex digits"],
    [{ type: "volume", claimName: "Kaniko_Workspace", path: "my-build" }, "context.claimName", "is not a PersistentVolumeClaim name"],
  ])("rejects the context %j", (context, path, message) => {
    const [issue] = issuesOf(base({ context, dockerfile: { path: "Dockerfile" } }));
    expect(issue?.path).toBe(path);
    expect(issue?.message).toContain(message);
  });

  it("rejects control characters in target, labels and image labels", () => {
    const issues = issuesOf(base({ target: "run\ntime", labels: { team: "pay ments" }, imageLabels: { "org.x": "a\u0000b" } }));
    expect(issues.map((i) => i.path)).toEqual(["target", "imageLabels[\"org.x\"]", "labels.team"]);
    expect(issues[0]?.message).toContain('"run\\ntime" is not a build stage name');
    expect(issues[1]?.message).toContain("it contains a control character");
  });

  it("reserves the buildfleet.dev/ label prefix and bounds the label map", () => {
    expect(issuesOf(base({ labels: { "buildfleet.dev/build-id": "x" } }))[0]?.message).toContain("reserved for buildfleet");
    const labels = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    expect(issuesOf(base({ labels }))[0]).toMatchObject({ path: "labels", message: "17 labels are more than the limit of 16" });
  });

  it("describes a wrong value briefly, not by dumping it", () => {
    expect(issuesOf(base({ priority: { huge: "x".repeat(10_000) } }))[0]?.message).toBe(
      'expected one of "interactive", "normal", "bulk", got an object',
    );
    expect(issuesOf(base({ priority: 3 }))[0]?.message).toBe('expected one of "interactive", "normal", "bulk", got 3');
  });

  it("rejects a bad priority, apiVersion and idempotency key with the allowed values", () => {
    expect(issuesOf(base({ priority: "urgent", apiVersion: "buildfleet.dev/v2", idempotencyKey: "a b" }))).toEqual([
      { path: "apiVersion", message: 'expected "buildfleet.dev/v1", got "buildfleet.dev/v2"', example: "buildfleet.dev/v1" },
      { path: "priority", message: 'expected one of "interactive", "normal", "bulk", got "urgent"', example: "normal" },
      {
        path: "idempotencyKey",
        message: "\"a b\" is not an idempotency key: a key holds 1 to 128 letters, digits, '.', '_' or '-'",
        example: "release-2024-06-01.1",
      },
    ]);
  });

  it("parseBuildRequest throws a ValidationError carrying every issue in its message", () => {
    let caught: unknown;
    try {
      parseBuildRequest(base({ destinations: ["team app:v1"], retries: 11 }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const err = caught as ValidationError;
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(err.issues.map((i) => i.path)).toEqual(["destinations[0]", "retries"]);
    expect(err.message).toBe(
      'invalid request: destinations[0]: "team app:v1" is not a valid image reference: it contains a space (example: registry.example.com/team/app:v1.2.3); retries: expected a whole number from 0 to 10, got 11 (example: 2)',
    );
  });

  it("caps the number of issues reported for a hostile document", () => {
    const buildArgs = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`-k${i}`, "v"]));
    const issues = issuesOf(base({ buildArgs }));
    expect(issues).toHaveLength(51);
    expect(issues.at(-1)?.message).toMatch(/^and \d+ more problems$/);
  });
});

describe("BuildRequest: keys that would vanish when copied", () => {
  const withJson = (fragment: string) =>
    JSON.parse(JSON.stringify(busyboxMirror).replace('"destinations"', `${fragment},"destinations"`)) as unknown;

  it("refuses a __proto__ build-arg instead of silently dropping it", () => {
    expect(issuesOf(withJson('"buildArgs":{"__proto__":"x","A":"b"}'))).toEqual([
      { path: "buildArgs.__proto__", message: 'the key "__proto__" is not allowed' },
    ]);
  });

  it("refuses a __proto__ inline file name", () => {
    const input = JSON.parse(JSON.stringify(busyboxMirror).replace('"files":{}', '"files":{"__proto__":"x"}')) as unknown;
    expect(issuesOf(input)[0]).toMatchObject({ path: "context.files.__proto__", message: 'the key "__proto__" is not allowed' });
  });

  it("refuses a top-level __proto__ field", () => {
    expect(issuesOf(withJson('"__proto__":{"retries":9}'))[0]).toMatchObject({ path: "__proto__", message: 'the key "__proto__" is not allowed' });
  });
});
