import { readFileSync } from "node:fs";

/**
 * The CLI's version, from its package.json (one level above src/ and dist/
 * alike, so it holds in the repository and in an installed package).
 */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}
