// Custom resources over HTTP: KEDA's ScaledObject is served only while its
// CustomResourceDefinition exists, in discovery and on its REST paths.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startKubeSim, type KubeSim } from "../start.js";
import { noopControlPlane } from "../test-support/wait.js";

let sim: KubeSim;

beforeEach(async () => {
  sim = await startKubeSim({ controlPlane: () => noopControlPlane() });
});

afterEach(async () => {
  await sim.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const groupNames = async (): Promise<string[]> =>
  ((await call("GET", "/apis")).json["groups"] as Array<{ name: string }>).map((g) => g.name);

const CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "scaledobjects.keda.sh" },
  spec: {
    group: "keda.sh",
    scope: "Namespaced",
    names: { plural: "scaledobjects", singular: "scaledobject", kind: "ScaledObject", listKind: "ScaledObjectList" },
    versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }],
  },
};

const SCALED_OBJECTS = "/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects";
const scaledObject = { metadata: { name: "w" }, spec: { scaleTargetRef: { name: "worker" }, triggers: [{ type: "cpu", metadata: { value: "50" } }] } };

describe("custom resources", () => {
  it("serves the built-in groups of deployment manifests", async () => {
    expect(await groupNames()).toEqual(["batch", "apps", "policy", "networking.k8s.io", "rbac.authorization.k8s.io", "apiextensions.k8s.io"]);
    const apps = await call("GET", "/apis/apps/v1");
    expect((apps.json["resources"] as Array<{ name: string }>).map((r) => r.name)).toEqual(["deployments", "deployments/status"]);
  });

  it("answers 404 for ScaledObjects until KEDA's CRD exists, then stores them", async () => {
    expect(await groupNames()).not.toContain("keda.sh");
    expect((await call("POST", SCALED_OBJECTS, scaledObject)).status).toBe(404);
    expect((await call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD)).status).toBe(201);
    expect(await groupNames()).toContain("keda.sh");
    const created = await call("POST", SCALED_OBJECTS, scaledObject);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "w", namespace: "default" } });
    const list = await call("GET", SCALED_OBJECTS);
    expect((list.json["items"] as unknown[]).length).toBe(1);
  });

  it("stops serving ScaledObjects once the CRD is deleted", async () => {
    await call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD);
    expect((await call("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/scaledobjects.keda.sh")).status).toBe(200);
    expect((await call("GET", SCALED_OBJECTS)).status).toBe(404);
    expect(await groupNames()).not.toContain("keda.sh");
  });
});
