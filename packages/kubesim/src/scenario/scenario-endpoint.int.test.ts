// Scenario rules through kubesim's control endpoint (/kubesim/v1/scenario) and
// the startKubeSim option, observed on the objects the API server holds.
import { afterEach, describe, expect, it } from "vitest";
import type { KubeSim } from "../start.js";
import { startKubeSim } from "../start.js";
import type { KubeObject } from "../store/types.js";

let sim: KubeSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function control(method: string, body?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim?.url ?? ""}/kubesim/v1/scenario`, {
    method,
    ...(body === undefined ? {} : { body, headers: { "Content-Type": "application/yaml" } }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, json: (await res.json()) };
}

/** Resolves once the Job has a terminal condition, re-checked on every store change. */
function terminalCondition(name: string): Promise<{ type: string; reason: string }> {
  const store = sim?.control.store;
  if (store === undefined) throw new Error("no sim");
  const check = () => {
    const conditions = ((store.get("jobs", "default", name)?.["status"] ?? {}) as { conditions?: { type: string; status: string; reason: string }[] }).conditions ?? [];
    return conditions.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for Job ${name} to finish`));
    }, 5_000);
    const unsubscribe = store.subscribe(() =>
      queueMicrotask(() => {
        const c = check();
        if (c === undefined) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(c);
      }),
    );
  });
}

const job = (name: string): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name },
  spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36" }] } } },
});

describe("scenario control endpoint", () => {
  it("replaces rules from a YAML body and the kubelet follows them", async () => {
    sim = await startKubeSim({ speed: 1000 });
    const yaml = "rules:\n  - name: broken build\n    match: { jobName: doomed }\n    attempts:\n      - exit: { code: 2 }\n";
    const put = await control("PUT", yaml);
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ rules: [{ name: "broken build", match: { jobName: "doomed" }, attempts: [{ exit: { code: 2 } }] }] });
    sim.control.store.create("jobs", "default", job("doomed"));
    sim.control.store.create("jobs", "default", job("fine"));
    expect(await terminalCondition("doomed")).toMatchObject({ type: "Failed", reason: "BackoffLimitExceeded" });
    expect(await terminalCondition("fine")).toMatchObject({ type: "Complete" });
  });

  it("appends with POST, clears with DELETE and reads back with GET", async () => {
    sim = await startKubeSim({ speed: 1000, scenario: [{ attempts: [{ hang: {} }] }] });
    expect((await control("POST", '[{"match": {"namespace": "x"}, "attempts": [{"evict": {}}]}]')).status).toBe(200);
    const got = (await control("GET")).json as { rules: unknown[] };
    expect(got.rules).toHaveLength(2);
    expect((await control("DELETE")).json).toEqual({ rules: [] });
  });

  it("rejects bad rules with a 422 Invalid Status naming the field, keeping the old rules", async () => {
    sim = await startKubeSim({ speed: 1000, scenario: { rules: [{ attempts: [{ succeed: {} }] }] } });
    const bad = await control("PUT", JSON.stringify([{ attempts: [{ oomKilled: { afterMs: -5 } }] }]));
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({
      kind: "Status",
      status: "Failure",
      reason: "Invalid",
      code: 422,
      details: { causes: [{ field: "rules[0].attempts[0].oomKilled.afterMs" }] },
    });
    expect((bad.json as { message: string }).message).toContain("rules[0].attempts[0].oomKilled.afterMs");
    expect(((await control("GET")).json as { rules: unknown[] }).rules).toHaveLength(1);
  });

  it("refuses a bad scenario given to startKubeSim", async () => {
    await expect(startKubeSim({ scenario: [{ match: { image: 5 }, attempts: [{ hang: {} }] }] })).rejects.toMatchObject({
      code: 422,
      reason: "Invalid",
    });
  });
});
