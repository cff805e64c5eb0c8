import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The SDK is embedded in other services: at run time it may import only
 * node:/web built-ins, its own modules and the pure @buildfleet/contract (zod). @buildfleet/shared's root module
 * loads ioredis and bullmq, so only `import type` from it is allowed.
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith(".ts") && !d.name.endsWith(".test.ts") ? [join(dir, d.name)] : [],
  );
}

describe("runtime imports", () => {
  it("imports nothing but relative modules and node: built-ins at run time", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(import.meta.dirname)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms)) {
        const spec = m[1] ?? "";
        if (!spec.startsWith(".") && !spec.startsWith("node:") && spec !== "@buildfleet/contract") offenders.push(`${file}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
