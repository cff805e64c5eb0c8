import { execFile } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Prometheus' own checker (`promtool`, from Debian's `prometheus` package, which
 * .ci/run installs) for tests of metrics and rule files. Tests skip without it
 * locally, but never in CI (CI=true): a CI without promtool must fail.
 */
export const PROMTOOL = process.env["PROMTOOL"] ?? "/usr/bin/promtool";
export const hasPromtool = existsSync(PROMTOOL);
export const skipWithoutPromtool = !hasPromtool && process.env["CI"] !== "true";

export interface PromtoolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs promtool with `args` (and `stdin`), bounded in time; resolves with its exit code and output. */
export function runPromtool(args: readonly string[], options: { stdin?: string; cwd?: string } = {}): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      PROMTOOL,
      [...args],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024, ...(options.cwd ? { cwd: options.cwd } : {}) },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") return reject(new Error(`could not run ${PROMTOOL}: ${err.message}`));
        resolve({ code: typeof err?.code === "number" ? err.code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? "");
  });
}

/** `promtool check metrics` on an exposition text: its problems (lint included), empty when it passes. */
export async function checkMetricsText(text: string): Promise<string> {
  const res = await runPromtool(["check", "metrics"], { stdin: text });
  return res.code === 0 ? "" : `${res.stdout}${res.stderr}`.trim() || `promtool exited ${res.code}`;
}
