import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The package dependency rule: contract ← shared ← api, worker; the SDK and
 * the CLI depend on the contract only (the CLI also on the SDK). A package that
 * reaches "up" the chain, or an SDK/CLI that pulls the Redis side in, fails here.
 */
const PACKAGES_DIR = join(import.meta.dirname, "..", "..");

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(PACKAGES_DIR, dir, "package.json"), "utf8")) as Manifest;
}

function workspaceDeps(m: Manifest, which: "dependencies" | "devDependencies" | "all" = "all"): string[] {
  const deps =
    which === "all" ? { ...m.dependencies, ...m.devDependencies } : which === "dependencies" ? m.dependencies : m.devDependencies;
  return Object.keys(deps ?? {})
    .filter((n) => n.startsWith("@buildfleet/"))
    .sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
  );
}

describe("package dependency rule", () => {
  it("the contract depends on zod and nothing else", () => {
    const m = manifest("contract");
    expect(Object.keys(m.dependencies ?? {})).toEqual(["zod"]);
    expect(workspaceDeps(m)).toEqual([]);
  });

  it("shared depends on the contract and on no service package", () => {
    const deps = workspaceDeps(manifest("shared"), "dependencies");
    expect(deps).toEqual(["@buildfleet/contract"]);
  });

  it("api and worker sit above shared; nothing below depends on them", () => {
    for (const pkg of ["api", "worker"]) expect(workspaceDeps(manifest(pkg), "dependencies")).toContain("@buildfleet/shared");
    for (const pkg of ["contract", "shared", "sdk", "cli"]) {
      const deps = workspaceDeps(manifest(pkg));
      expect(deps, pkg).not.toContain("@buildfleet/api");
      expect(deps, pkg).not.toContain("@buildfleet/worker");
    }
  });

  it("the SDK and the CLI depend on the contract, never on shared", () => {
    expect(workspaceDeps(manifest("sdk"))).toEqual(["@buildfleet/contract"]);
    expect(workspaceDeps(manifest("cli"))).toEqual(["@buildfleet/contract", "@buildfleet/sdk"]);
    for (const pkg of ["sdk", "cli"]) {
      const offenders = sourceFiles(join(PACKAGES_DIR, pkg, "src")).filter((f) => readFileSync(f, "utf8").includes('from "@buildfleet/shared"'));
      expect(offenders, pkg).toEqual([]);
    }
  });
});
