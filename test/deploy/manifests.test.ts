import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { loadConfig } from "@buildfleet/shared";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";

/**
 * The manifests in deploy/ cannot be applied here (no cluster), so these
 * tests hold them to what the code needs: probes on the worker's real
 * endpoints, settings the config loader accepts, RBAC that covers every call
 * the Kubernetes adapter makes, and a grace period longer than the shutdown bound.
 */
const DEPLOY = fileURLToPath(new URL("../deploy/", import.meta.url));

type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

async function docs(file: string): Promise<Doc[]> {
  const text = await readFile(`${DEPLOY}${file}`, "utf8");
  return parseAllDocuments(text).map((d) => d.toJSON() as Doc);
}

describe("deploy/ manifests", () => {
  it("configure the worker with values loadConfig accepts", async () => {
    const [configMap, secret] = await docs("config.yaml");
    const env = {
      ...(configMap?.["data"] as Record<string, string>),
      ...(secret?.["stringData"] as Record<string, string>),
      WORKER_HTTP_PORT: "8081",
    };
    const config = loadConfig(env);
    expect(config.builds.namespace).toBe("buildfleet");
    expect(config.redis.prefix).toBe("{buildfleet}");
  });

  it("probe the worker's /healthz and /readyz and give it time to hand builds back", async () => {
    const [deployment] = await docs("worker.yaml");
    const pod = (deployment?.["spec"] as { template: { spec: Record<string, unknown> } }).template.spec;
    const [container] = pod["containers"] as {
      livenessProbe: { httpGet: { path: string } };
      readinessProbe: { httpGet: { path: string } };
      env: { name: string; value: string }[];
    }[];
    expect(container?.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container?.readinessProbe.httpGet.path).toBe("/readyz");
    const [configMap] = await docs("config.yaml");
    const shutdownMs = Number((configMap?.["data"] as Record<string, string>)["SHUTDOWN_TIMEOUT_MS"]);
    expect(Number(pod["terminationGracePeriodSeconds"]) * 1000).toBeGreaterThan(shutdownMs);
    expect(pod["serviceAccountName"]).toBe("buildfleet-worker");
  });

  it("grant the worker every verb its Kubernetes adapter uses, in the build namespace only", async () => {
    const role = (await docs("rbac.yaml")).find((d) => d.kind === "Role");
    expect(role?.metadata.namespace).toBe("buildfleet");
    const rules = role?.["rules"] as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    const allows = (group: string, resource: string, verb: string): boolean =>
      rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    const needed: [string, string, string][] = [
      ["batch", "jobs", "create"],
      ["batch", "jobs", "get"],
      ["batch", "jobs", "list"],
      ["batch", "jobs", "watch"],
      ["batch", "jobs", "delete"],
      ["", "pods", "list"],
      ["", "pods", "watch"],
      ["", "pods/log", "get"],
      ["", "configmaps", "create"],
      ["", "configmaps", "patch"],
    ];
    for (const [group, resource, verb] of needed) expect(allows(group, resource, verb), `${verb} ${resource}`).toBe(true);
    // Nothing cluster-wide.
    expect((await docs("rbac.yaml")).some((d) => d.kind === "ClusterRole")).toBe(false);
  });

  it("run the API with its probes, a token file and no Kubernetes credentials", async () => {
    const all = await docs("api.yaml");
    const deployment = all.find((d) => d.kind === "Deployment");
    const service = all.find((d) => d.kind === "Service");
    const pod = (deployment?.["spec"] as { template: { spec: Record<string, unknown> } }).template.spec;
    const [container] = pod["containers"] as {
      args: string[];
      env: { name: string; value: string }[];
      livenessProbe: { httpGet: { path: string } };
      readinessProbe: { httpGet: { path: string } };
    }[];
    expect(container?.args).toEqual(["node", "packages/api/dist/main.js"]);
    expect(container?.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container?.readinessProbe.httpGet.path).toBe("/readyz");
    expect(pod["automountServiceAccountToken"]).toBe(false);
    const env = Object.fromEntries(container?.env.map((e) => [e.name, e.value]) ?? []);
    const [configMap, secret] = await docs("config.yaml");
    const config = loadConfig({
      ...(configMap?.["data"] as Record<string, string>),
      ...(secret?.["stringData"] as Record<string, string>),
      ...env,
    });
    expect(config.api.port).toBe(8080);
    expect(service?.["spec"]).toMatchObject({ ports: [{ targetPort: "http" }] });
  });

  it("list every manifest in the kustomization", async () => {
    const [kustomization] = await docs("kustomization.yaml");
    expect(kustomization?.["resources"]).toEqual(["namespace.yaml", "rbac.yaml", "config.yaml", "worker.yaml", "api.yaml"]);
  });
});
