import { describe, expect, it } from "vitest";
import { StatusError } from "./errors.js";
import { createStore } from "./store.js";
import type { KubeObject } from "./types.js";

const deployment = (templateLabels: Record<string, string>): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "api" },
  spec: {
    selector: { matchLabels: { app: "api" } },
    template: { metadata: { labels: templateLabels }, spec: { containers: [{ name: "api", image: "example/api:1" }] } },
  },
});

function causesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    expect(err.code).toBe(422);
    return (err.body.details?.causes ?? []).map((c) => `${c.field ?? ""}: ${c.message ?? ""}`);
  }
  throw new Error("expected a 422 Invalid");
}

describe("stored kinds", () => {
  it("defaults a Deployment and its pod template like the real server", () => {
    const store = createStore();
    const created = store.create("deployments", "default", deployment({ app: "api", tier: "web" }));
    expect(created.spec).toMatchObject({
      replicas: 1,
      strategy: { type: "RollingUpdate" },
      template: { spec: { restartPolicy: "Always", terminationGracePeriodSeconds: 30 } },
    });
  });

  it("refuses a Deployment whose selector does not match its template labels", () => {
    const store = createStore();
    expect(causesOf(() => store.create("deployments", "default", deployment({ app: "worker" })))).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"worker"}: `selector` does not match template `labels`',
    ]);
  });

  it("refuses a PodDisruptionBudget with both minAvailable and maxUnavailable", () => {
    const store = createStore();
    const pdb = { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "p" }, spec: { minAvailable: 1, maxUnavailable: "50%" } };
    expect(causesOf(() => store.create("poddisruptionbudgets", "default", pdb)).join()).toContain("minAvailable and maxUnavailable cannot be both set");
  });

  it("refuses a Role rule without verbs or api groups", () => {
    const store = createStore();
    const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "r" }, rules: [{ resources: ["jobs"], verbs: [] }] };
    expect(causesOf(() => store.create("roles", "default", role)).map((c) => c.split(":")[0])).toEqual(["rules[0].verbs", "rules[0].apiGroups"]);
  });

  it("defaults a NetworkPolicy's policyTypes from the rules it has", () => {
    const store = createStore();
    const np = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "n" }, spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } };
    expect(store.create("networkpolicies", "default", np).spec).toMatchObject({ policyTypes: ["Ingress", "Egress"], egress: [{ ports: [{ port: 53, protocol: "TCP" }] }] });
  });

  it("marks a CustomResourceDefinition Established and checks its name", () => {
    const store = createStore();
    const crd = (name: string) => ({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name },
      spec: { group: "keda.sh", scope: "Namespaced", names: { plural: "scaledobjects", kind: "ScaledObject" }, versions: [{ name: "v1alpha1", served: true, storage: true }] },
    });
    expect(causesOf(() => store.create("customresourcedefinitions", undefined, crd("scaledobjects.example.com")))[0]).toContain("metadata.name");
    const created = store.create("customresourcedefinitions", undefined, crd("scaledobjects.keda.sh"));
    expect(created.status).toMatchObject({ conditions: [{ type: "NamesAccepted" }, { type: "Established", status: "True" }] });
  });

  it("refuses a ScaledObject whose trigger metadata is not all strings, as KEDA's schema does", () => {
    const store = createStore();
    const so = {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "w" },
      spec: { scaleTargetRef: { name: "worker" }, minReplicaCount: 4, maxReplicaCount: 2, triggers: [{ type: "prometheus", metadata: { threshold: 10 } }] },
    };
    expect(causesOf(() => store.create("scaledobjects", "default", so))).toEqual([
      'spec.triggers[0].metadata.threshold: Invalid value: "number": spec.triggers[0].metadata.threshold in body must be of type string',
      expect.stringContaining("MinReplicaCount=4 must be less than MaxReplicaCount=2"),
    ]);
  });
});
