import { readFile } from "node:fs/promises";
import { loadConfig } from "@buildfleet/shared";
import { describe, expect, it } from "vitest";
import {
  containerEnv,
  deploymentSpec,
  find,
  OVERLAYS,
  render,
  renderOverlay,
  REPO_ROOT,
  sharedEnv,
  skipWithoutKubectl,
  type Container,
  type K8sObject,
} from "./render.js";

/**
 * deploy/ rendered by kubectl's kustomize, held to what the code needs and to
 * what each overlay promises: probes on the services' real endpoints, settings
 * loadConfig accepts, a grace period above the worker's shutdown bound, and in
 * production the replica counts, disruption budgets, network policies, limits,
 * digest-pinned image and locked-down containers. kubesim-apply.test.ts
 * creates the same objects on kubesim.
 */

const workerPod = (objects: K8sObject[]) => deploymentSpec(find(objects, "Deployment", "buildfleet-worker")).template.spec;
const apiPod = (objects: K8sObject[]) => deploymentSpec(find(objects, "Deployment", "buildfleet-api")).template.spec;
const only = (containers: Container[]): Container => {
  expect(containers).toHaveLength(1);
  return containers[0] as Container;
};

describe.skipIf(skipWithoutKubectl)("deploy/ overlays", () => {
  describe.each(OVERLAYS)("%s", (overlay) => {
    it("configures the worker and the API with values loadConfig accepts", async () => {
      const { objects } = await renderOverlay(overlay);
      const worker = loadConfig({ ...sharedEnv(objects), ...containerEnv(only(workerPod(objects).containers)) });
      expect(worker.builds.namespace).toBe("buildfleet");
      expect(worker.redis.prefix).toBe("{buildfleet}");
      const api = loadConfig({ ...sharedEnv(objects), ...containerEnv(only(apiPod(objects).containers)) });
      expect(api.api.port).toBe(8080);
    });

    it("probes /healthz and /readyz on the ports the services listen on", async () => {
      const { objects } = await renderOverlay(overlay);
      for (const [pod, portEnv] of [
        [workerPod(objects), "WORKER_HTTP_PORT"],
        [apiPod(objects), "API_PORT"],
      ] as const) {
        const container = only(pod.containers);
        expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
        expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
        const port = container.ports?.find((p) => p.name === container.readinessProbe?.httpGet?.port);
        expect(String(port?.containerPort)).toBe(containerEnv(container)[portEnv]);
      }
    });

    it("gives the worker longer than its shutdown bound to hand builds back", async () => {
      const { objects } = await renderOverlay(overlay);
      const config = loadConfig(sharedEnv(objects));
      // main.ts exits by itself 2 s after SHUTDOWN_TIMEOUT_MS at the latest.
      expect((workerPod(objects).terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(config.worker.shutdownTimeoutMs + 2_000);
    });

    it("runs both services from one image, chosen by args, with no Kubernetes credentials for the API", async () => {
      const { objects } = await renderOverlay(overlay);
      const worker = only(workerPod(objects).containers);
      const api = only(apiPod(objects).containers);
      expect(worker.image).toBe(api.image);
      expect(worker.args).toEqual(["node", "--max-old-space-size=512", "--max-semi-space-size=8", "packages/worker/dist/main.js"]);
      expect(api.args).toEqual(["node", "packages/api/dist/main.js"]);
      expect(apiPod(objects).automountServiceAccountToken).toBe(false);
      expect(workerPod(objects).serviceAccountName).toBe("buildfleet-worker");
    });

    it("runs every container non-root, read-only, with RuntimeDefault seccomp and no capabilities", async () => {
      const { objects } = await renderOverlay(overlay);
      for (const d of objects.filter((o) => o.kind === "Deployment")) {
        const pod = deploymentSpec(d).template.spec;
        expect(pod.securityContext, d.metadata.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(Number(pod.securityContext?.["runAsUser"]), d.metadata.name).toBeGreaterThan(0);
        for (const c of pod.containers) {
          expect(c.securityContext, `${d.metadata.name}/${c.name}`).toEqual({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          });
        }
      }
    });

    it("grants nothing cluster-wide", async () => {
      const { objects } = await renderOverlay(overlay);
      expect(objects.filter((o) => o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding")).toEqual([]);
    });
  });

  describe("dev", () => {
    it("runs one API, one worker and a single Redis that REDIS_URL points at", async () => {
      const { objects } = await renderOverlay("dev");
      expect(deploymentSpec(find(objects, "Deployment", "buildfleet-api")).replicas).toBe(1);
      expect(deploymentSpec(find(objects, "Deployment", "buildfleet-worker")).replicas).toBe(1);
      const redis = find(objects, "Deployment", "redis");
      expect(deploymentSpec(redis).replicas).toBe(1);
      expect(only(deploymentSpec(redis).template.spec.containers).args).toEqual(expect.arrayContaining(["--appendonly", "yes", "--maxmemory-policy", "noeviction"]));
      const service = find(objects, "Service", "redis");
      const url = new URL(loadConfig(sharedEnv(objects)).redis.url);
      expect(url.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace ?? ""}.svc`);
      expect((service["spec"] as { ports: Array<{ port: number }> }).ports[0]?.port).toBe(Number(url.port));
    });
  });

  describe("production", () => {
    it("runs two API and three worker replicas", async () => {
      const { objects } = await renderOverlay("production");
      expect(deploymentSpec(find(objects, "Deployment", "buildfleet-api")).replicas).toBe(2);
      expect(deploymentSpec(find(objects, "Deployment", "buildfleet-worker")).replicas).toBe(3);
    });

    it("pins the image by digest and sets CPU and memory requests and limits", async () => {
      const { objects } = await renderOverlay("production");
      for (const pod of [workerPod(objects), apiPod(objects)]) {
        const c = only(pod.containers);
        expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
        for (const bound of ["requests", "limits"] as const) {
          expect(Object.keys(c.resources?.[bound] ?? {}).sort(), `${c.name} ${bound}`).toEqual(["cpu", "memory"]);
        }
      }
    });

    it("has a PodDisruptionBudget that selects each service's pods", async () => {
      const { objects } = await renderOverlay("production");
      for (const name of ["buildfleet-api", "buildfleet-worker"]) {
        const pdb = find(objects, "PodDisruptionBudget", name)["spec"] as { selector: { matchLabels: Record<string, string> }; minAvailable?: number; maxUnavailable?: number };
        const spec = deploymentSpec(find(objects, "Deployment", name));
        expect(spec.template.metadata.labels).toMatchObject(pdb.selector.matchLabels);
        // A budget that allows no disruption at all would block every node drain.
        const allowed = pdb.maxUnavailable ?? (spec.replicas ?? 1) - (pdb.minAvailable ?? 0);
        expect(allowed, name).toBeGreaterThanOrEqual(1);
      }
    });

    type Peer = { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: { matchLabels?: Record<string, string> }; ipBlock?: { cidr: string } };
    type Rule = { to?: Peer[]; from?: Peer[]; ports?: Array<{ protocol: string; port: number }> };
    type PolicySpec = { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] };

    /** Every (peer, port) a pod with these labels may send to, across the policies selecting it. */
    function egressOf(objects: K8sObject[], labels: Record<string, string>): { policies: PolicySpec[]; allowed: string[] } {
      const policies = objects
        .filter((o) => o.kind === "NetworkPolicy")
        .map((o) => o["spec"] as PolicySpec)
        .filter((p) => Object.entries(p.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v));
      const allowed = policies.flatMap((p) =>
        (p.egress ?? []).flatMap((rule) => {
          // A rule without `to` or without `ports` opens every destination or every port.
          const peers = rule.to ?? [{ ipBlock: { cidr: "ANYWHERE" } }];
          const ports = rule.ports ?? [{ protocol: "ANY", port: 0 }];
          return peers.flatMap((peer) => {
            const where = peer.ipBlock
              ? `ip:${peer.ipBlock.cidr}`
              : `${JSON.stringify(peer.namespaceSelector?.matchLabels ?? "same-namespace")}/${JSON.stringify(peer.podSelector?.matchLabels ?? {})}`;
            return ports.map((port) => `${where} ${port.protocol}/${port.port}`);
          });
        }),
      );
      return { policies, allowed: [...new Set(allowed)].sort() };
    }

    const REDIS = `"same-namespace"/{"app.kubernetes.io/name":"redis"} TCP/6379`;
    const DNS = [`{"kubernetes.io/metadata.name":"kube-system"}/{"k8s-app":"kube-dns"} TCP/53`, `{"kubernetes.io/metadata.name":"kube-system"}/{"k8s-app":"kube-dns"} UDP/53`];

    it("lets the workers reach only Redis, DNS and the Kubernetes API", async () => {
      const { objects } = await renderOverlay("production");
      const { policies, allowed } = egressOf(objects, deploymentSpec(find(objects, "Deployment", "buildfleet-worker")).template.metadata.labels);
      expect(policies.length).toBeGreaterThan(0);
      for (const p of policies) expect(p.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
      const apiServer = allowed.filter((a) => a.startsWith("ip:"));
      expect(apiServer.map((a) => a.split(" ")[1]).sort()).toEqual(["TCP/443", "TCP/6443"]);
      expect(apiServer.every((a) => !a.startsWith("ip:0.0.0.0/0") && !a.startsWith("ip:ANYWHERE"))).toBe(true);
      expect(allowed.filter((a) => !a.startsWith("ip:"))).toEqual([REDIS, ...DNS].sort());
    });

    it("lets the API reach only Redis and DNS (it has no Kubernetes credentials)", async () => {
      const { objects } = await renderOverlay("production");
      const { policies, allowed } = egressOf(objects, deploymentSpec(find(objects, "Deployment", "buildfleet-api")).template.metadata.labels);
      expect(policies.length).toBeGreaterThan(0);
      for (const p of policies) expect(p.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
      expect(allowed).toEqual([REDIS, ...DNS].sort());
    });

    it("admits traffic to each service on its own port only", async () => {
      const { objects } = await renderOverlay("production");
      for (const [name, port] of [
        ["buildfleet-api", 8080],
        ["buildfleet-worker", 8081],
      ] as const) {
        const policy = find(objects, "NetworkPolicy", name)["spec"] as PolicySpec;
        // A rule without ports would admit every port.
        expect((policy.ingress ?? []).flatMap((r) => r.ports ?? [{ protocol: "ANY", port: 0 }])).toEqual([{ protocol: "TCP", port }]);
      }
    });
  });

  describe("the KEDA component", () => {
    type ScaledObjectSpec = {
      scaleTargetRef: { name: string };
      minReplicaCount: number;
      maxReplicaCount: number;
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: number; policies: Array<{ type: string; value: number; periodSeconds: number }> } } } };
      triggers: Array<{ type: string; metadata: Record<string, string> }>;
    };

    it("scales the worker Deployment, which leaves its replica count to the autoscaler", async () => {
      const { objects } = await renderOverlay("production-keda");
      const so = find(objects, "ScaledObject", "buildfleet-worker")["spec"] as ScaledObjectSpec;
      expect(find(objects, "Deployment", so.scaleTargetRef.name).metadata.namespace).toBe("buildfleet-system");
      expect(deploymentSpec(find(objects, "Deployment", "buildfleet-worker")).replicas).toBeUndefined();
      expect(deploymentSpec(find(objects, "Deployment", "buildfleet-api")).replicas).toBe(2);
      expect(so.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(so.maxReplicaCount).toBeGreaterThan(so.minReplicaCount);
    });

    it("removes at most one worker per period, each period longer than a worker's hand-back", async () => {
      const { objects } = await renderOverlay("production-keda");
      const so = find(objects, "ScaledObject", "buildfleet-worker")["spec"] as ScaledObjectSpec;
      const grace = workerPod(objects).terminationGracePeriodSeconds ?? 30;
      const scaleDown = so.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown;
      expect(scaleDown.policies.map((x) => `${x.type}:${x.value}`)).toEqual(["Pods:1"]);
      expect(scaleDown.policies[0]?.periodSeconds).toBeGreaterThan(grace);
      expect(scaleDown.stabilizationWindowSeconds).toBeGreaterThan(grace);
    });

    it("queries the queue-depth gauge the API exposes, waiting and active builds counted once across API replicas", async () => {
      const { objects } = await renderOverlay("production-keda");
      const so = find(objects, "ScaledObject", "buildfleet-worker")["spec"] as ScaledObjectSpec;
      const [trigger] = so.triggers;
      expect(trigger?.type).toBe("prometheus");
      const query = trigger?.metadata["query"] ?? "";
      // The gauge and its states as packages/api/src/ops/metrics.ts defines them.
      const metricsSource = await readFile(`${REPO_ROOT}packages/api/src/ops/metrics.ts`, "utf8");
      const gauge = /name: "(buildfleet_api_queue_jobs)"/.exec(metricsSource)?.[1];
      expect(gauge).toBeDefined();
      const states = /QUEUE_STATES = \[([^\]]*)\]/.exec(metricsSource)?.[1] ?? "";
      expect(query).toBe(`sum(max by (state) (${gauge ?? ""}{state=~"waiting|prioritized|active"}))`);
      for (const state of ["waiting", "prioritized", "active"]) expect(states).toContain(`"${state}"`);
      expect(Number(trigger?.metadata["threshold"])).toBeGreaterThan(0);
    });

    it("adds only the ScaledObject and the replica change to the overlay it is part of", async () => {
      const base = (await renderOverlay("production")).objects.map((o) => `${o.kind}/${o.metadata.name}`);
      const withKeda = (await render("overlays/production-keda")).objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(withKeda.filter((k) => !base.includes(k))).toEqual(["ScaledObject/buildfleet-worker"]);
      expect(base.filter((k) => !withKeda.includes(k))).toEqual([]);
    });
  });
});
