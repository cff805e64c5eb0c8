// Test helpers: bounded waits on predicates (never fixed sleeps) and a no-op
// control plane for tests of the API layer alone.
import type { ControlPlane, LogSource } from "../store/types.js";

export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function noopControlPlane(logs?: LogSource): ControlPlane {
  let rules: unknown = [];
  return {
    logs: logs ?? {
      read: () => "",
      follow: (_ns, _pod, _c, _line, onEnd) => {
        onEnd();
        return () => undefined;
      },
    },
    setScenario: (r) => {
      rules = r;
    },
    addRules: () => undefined,
    clearScenario: () => {
      rules = [];
    },
    getScenario: () => rules,
    start: () => undefined,
    stop: () => undefined,
  };
}

export const buildJob = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, labels },
  spec: {
    backoffLimit: 3,
    template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36", args: ["true"] }] } },
  },
});
