import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The contract is what the SDK, the CLI and a web page share: importing it must
 * not load ioredis, bullmq, pino, @kubernetes/client-node or anything that
 * opens sockets. At run time its modules may import only zod, each other and
 * the node:crypto built-in (build ids). Follows the import graph from index.ts,
 * so a module reachable from the package root cannot slip through.
 */
const ALLOWED_PACKAGES = new Set(["zod", "node:crypto"]);
const RUNTIME_IMPORT = /^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms;

function runtimeImports(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(RUNTIME_IMPORT)].map((m) => m[1] ?? "");
}

function reachableFrom(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else packages.set(spec, file);
    }
  };
  visit(entry);
  return { files, packages };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith(".ts") && !d.name.endsWith(".test.ts") ? [join(dir, d.name)] : [],
  );
}

describe("contract runtime imports", () => {
  it("loads nothing but zod and node:crypto from the package root", () => {
    const { packages } = reachableFrom(join(import.meta.dirname, "index.ts"));
    const offenders = [...packages].filter(([spec]) => !ALLOWED_PACKAGES.has(spec)).map(([spec, file]) => `${file}: ${spec}`);
    expect(offenders).toEqual([]);
    expect(packages.has("zod")).toBe(true);
  });

  it("has no source module that imports an IO package, reachable or not", () => {
    const offenders = sourceFiles(import.meta.dirname).flatMap((file) =>
      runtimeImports(file)
        .filter((spec) => !spec.startsWith(".") && !ALLOWED_PACKAGES.has(spec))
        .map((spec) => `${file}: ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it("uses no dynamic import or require, so the static graph above is all that loads", () => {
    const offenders = sourceFiles(import.meta.dirname).filter((file) => /\bimport\s*\(|\brequire\s*\(/.test(readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
  });
});
