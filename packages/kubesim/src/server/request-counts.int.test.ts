import { afterEach, describe, expect, it } from "vitest";
import { startKubeSim, type KubeSim } from "../start.js";

describe("request counts", () => {
  let sim: KubeSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it("counts API requests by verb and resource, not control calls", async () => {
    sim = await startKubeSim();
    await fetch(`${sim.url}/api/v1/namespaces/default/pods`);
    await fetch(`${sim.url}/api/v1/namespaces/default/configmaps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c1" }, data: {} }),
    });
    await fetch(`${sim.url}/api/v1/namespaces/default/configmaps/c1`);

    expect(sim.control.requestCounts()).toEqual({ "list pods": 1, "create configmaps": 1, "get configmaps": 1 });
    const stats = (await (await fetch(`${sim.url}/kubesim/v1/stats`)).json()) as { requests: Record<string, number> };
    expect(stats.requests).toEqual({ "list pods": 1, "create configmaps": 1, "get configmaps": 1 });

    sim.control.resetRequestCounts();
    expect(sim.control.requestCounts()).toEqual({});
  });
});
