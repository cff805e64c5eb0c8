import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { find, renderOverlay, REPO_ROOT, skipWithoutKubectl, deploymentSpec } from "./render.js";

/**
 * There is no container engine on the build machines, so the image is not
 * built here; these tests hold the Dockerfile to its properties instead:
 * multi-stage, a base pinned by digest, a numeric non-root user in the final
 * stage, no HEALTHCHECK, and the entry points the manifests run.
 */

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions: comments dropped, backslash continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text.split("\n").filter((l) => !/^\s*#/.test(l));
  const joined = lines.join("\n").replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => {
      const [keyword = "", ...rest] = l.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

/** ${NAME} from the ARGs declared before the first FROM (their defaults). */
function expandGlobalArgs(instructions: Instruction[], value: string): string {
  const firstFrom = instructions.findIndex((i) => i.keyword === "FROM");
  const args = new Map<string, string>();
  for (const i of instructions.slice(0, firstFrom)) {
    if (i.keyword !== "ARG") continue;
    const [name = "", def = ""] = i.args.split("=", 2);
    args.set(name, def);
  }
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => args.get(name) ?? "");
}

const load = async () => parseDockerfile(await readFile(`${REPO_ROOT}Dockerfile`, "utf8"));

function stages(instructions: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of instructions) {
    if (i.keyword === "FROM") out.push([i]);
    else out.at(-1)?.push(i);
  }
  return out;
}

describe("the Dockerfile", () => {
  it("builds in one stage and runs from another that copies only the build output", async () => {
    const all = stages(await load());
    expect(all.length).toBeGreaterThanOrEqual(2);
    const runtime = all.at(-1) ?? [];
    const copies = runtime.filter((i) => i.keyword === "COPY");
    expect(copies.length).toBeGreaterThan(0);
    // No source tree in the runtime image: everything comes from the build stage.
    for (const c of copies) expect(c.args).toMatch(/^--from=build\s/);
    expect(runtime.some((i) => i.keyword === "RUN")).toBe(false);
  });

  it("pins every base image by digest", async () => {
    const instructions = await load();
    const bases = instructions.filter((i) => i.keyword === "FROM").map((i) => expandGlobalArgs(instructions, i.args.split(/\s+/)[0] ?? ""));
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toMatch(/^node:20-bookworm-slim@sha256:[0-9a-f]{64}$/);
  });

  it("runs as a numeric non-root user, which runAsNonRoot can verify", async () => {
    const runtime = stages(await load()).at(-1) ?? [];
    const users = runtime.filter((i) => i.keyword === "USER").map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const [uid = "", gid = ""] = (users.at(-1) ?? "").split(":");
    expect(Number(uid)).toBeGreaterThan(0);
    if (gid !== "") expect(Number(gid)).toBeGreaterThan(0);
  });

  it("has no HEALTHCHECK: Kubernetes probes the services", async () => {
    expect((await load()).filter((i) => i.keyword === "HEALTHCHECK")).toEqual([]);
  });

  it.skipIf(skipWithoutKubectl)("matches the user and the entry points of the manifests", async () => {
    const instructions = await load();
    const runtime = stages(instructions).at(-1) ?? [];
    const uid = Number((runtime.filter((i) => i.keyword === "USER").at(-1)?.args ?? "").split(":")[0]);
    const cmd = JSON.parse(runtime.find((i) => i.keyword === "CMD")?.args ?? "[]") as string[];
    const workdir = runtime.find((i) => i.keyword === "WORKDIR")?.args;
    expect(workdir).toBe("/app");
    const { objects } = await renderOverlay("production");
    for (const name of ["buildfleet-worker", "buildfleet-api"]) {
      const pod = deploymentSpec(find(objects, "Deployment", name)).template.spec;
      expect(pod.securityContext?.["runAsUser"], name).toBe(uid);
      // The args replace CMD; the image's own CMD is the worker.
      expect(pod.containers[0]?.args?.[0]).toBe(cmd[0]);
    }
    expect(cmd).toEqual(["node", "--max-old-space-size=512", "--max-semi-space-size=8", "packages/worker/dist/main.js"]);
    // `docker run` of the image starts the worker exactly as the Deployment does.
    expect(deploymentSpec(find(objects, "Deployment", "buildfleet-worker")).template.spec.containers[0]?.args).toEqual(cmd);
  });

  it.skipIf(skipWithoutKubectl)("installs the production dependencies of exactly the services the manifests run", async () => {
    const text = await readFile(`${REPO_ROOT}Dockerfile`, "utf8");
    const install = parseDockerfile(text).find((i) => i.keyword === "RUN" && i.args.includes("--prod --frozen-lockfile"));
    expect(install).toBeDefined();
    const filtered = [...(install?.args ?? "").matchAll(/pnpm install [^&]*/g)]
      .flatMap((m) => [...m[0].matchAll(/--filter-prod "@buildfleet\/([a-z-]+)\.\.\."/g)])
      .map((m) => m[1])
      .sort();
    const { objects } = await renderOverlay("production");
    // The entry is the last argument: node flags may come before it.
    const run = objects
      .filter((o) => o.kind === "Deployment")
      .map((d) => /^packages\/([a-z-]+)\/dist\/main\.js$/.exec(deploymentSpec(d).template.spec.containers[0]?.args?.at(-1) ?? "")?.[1])
      .sort();
    expect(filtered).toEqual(run);
  });
});
