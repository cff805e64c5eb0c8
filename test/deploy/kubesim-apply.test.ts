import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startKubeSim, type KubeSim } from "@buildfleet/kubesim";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { kubectl, OVERLAYS, renderOverlay, skipWithoutKubectl, type K8sObject } from "./render.js";

/**
 * Each overlay, rendered, applied with kubectl to a kubesim started here: the
 * API server validates every object (names, Deployment selectors, PDB fields,
 * Role rules, RoleBinding refs, ScaledObject triggers) and stores it; the test
 * then reads every object back. kubesim runs no Deployment controller, so no
 * pod starts — this checks the manifests, not the services.
 */

const KEDA_CRD = fileURLToPath(new URL("./fixtures/keda-scaledobject-crd.yaml", import.meta.url));

let sim: KubeSim;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  // A fresh cluster: only the namespaces every cluster has; deploy/ creates its own.
  sim = await startKubeSim({ namespaces: ["default", "kube-system"] });
  dir = await mkdtemp(join(tmpdir(), "buildfleet-deploy-"));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, sim.kubeconfigYaml, { mode: 0o600 });
  // A private discovery cache: kubesim's port is new each time, and a CRD changes discovery mid-test.
  env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, "cache") };
});

afterEach(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], input?: string): Promise<string> =>
  kubectl(["--cache-dir", join(dir, "cache"), ...args], input === undefined ? { env } : { env, input });

/** `kind/name` as kubectl prints it, for comparing what was applied with what the server holds. */
function ref(o: K8sObject): string {
  const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
  const kind = o.kind.toLowerCase();
  return `${group ? `${kind}.${group}` : kind}/${o.metadata.name}`;
}

async function readBack(objects: K8sObject[]): Promise<K8sObject[]> {
  return Promise.all(
    objects.map(async (o) => {
      const ns = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
      return JSON.parse(await run(["get", ...ns, ref(o), "-o", "json"])) as K8sObject;
    }),
  );
}

describe.skipIf(skipWithoutKubectl)("deploy/ overlays on kubesim", () => {
  it.each(OVERLAYS.filter((o) => o !== "production-keda"))("creates every object of %s, and applying it again changes nothing", async (overlay) => {
    const { yaml, objects } = await renderOverlay(overlay);
    const first = (await run(["apply", "-f", "-"], yaml)).trim().split("\n");
    // One line per object; a refused object would have failed the command.
    expect(first).toHaveLength(objects.length);
    expect(first.filter((line) => !/ (created|configured)$/.test(line))).toEqual([]);
    const stored = await readBack(objects);
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    expect(stored.map(key)).toEqual(objects.map(key));
    // kubectl still prints "configured" for a Secret with stringData (write-only) and a
    // PDB (its selector is patched by replacement), as against a real cluster; what
    // counts is that the server stores no new version of anything.
    await run(["apply", "-f", "-"], yaml);
    const again = await readBack(objects);
    expect(again.map((o) => `${key(o)}@${o.metadata.resourceVersion ?? ""}`)).toEqual(
      stored.map((o) => `${key(o)}@${o.metadata.resourceVersion ?? ""}`),
    );
  });

  it("validates production on the server without storing anything (apply --dry-run=server)", async () => {
    const { yaml, objects } = await renderOverlay("production");
    // The namespaces first, for real: a server dry run of a namespaced object needs its namespace.
    const namespaces = objects.filter((o) => o.kind === "Namespace");
    await run(["apply", "-f", "-"], namespaces.map((ns) => stringify(ns)).join("---\n"));
    const out = (await run(["apply", "--dry-run=server", "-f", "-"], yaml)).trim().split("\n");
    expect(out.filter((l) => !l.endsWith("(server dry run)"))).toEqual([]);
    await expect(run(["get", "-n", "buildfleet-system", "deployment/buildfleet-worker"])).rejects.toThrow(/NotFound|not found/);
  });

  it("refuses the KEDA component on a cluster without KEDA, and creates it once the CRD is installed", async () => {
    const { yaml, objects } = await renderOverlay("production-keda");
    await expect(run(["get", "scaledobjects"])).rejects.toThrow(/the server doesn't have a resource type "scaledobjects"/);
    // A real server answers `no matches for kind "ScaledObject"`; kubesim serves no
    // /openapi/v2, so kubectl's validation reports the missing resource first.
    // kubectl still applies the other objects, as against a cluster: install KEDA first.
    await expect(run(["apply", "-f", "-"], yaml)).rejects.toThrow(/no matches for kind "ScaledObject"|could not find the requested resource/);
    expect(await run(["apply", "-f", KEDA_CRD])).toContain("customresourcedefinition.apiextensions.k8s.io/scaledobjects.keda.sh created");
    await run(["wait", "--for=condition=Established", "crd/scaledobjects.keda.sh", "--timeout=10s"]);
    await run(["apply", "-f", "-"], yaml);
    const [so] = await readBack(objects.filter((o) => o.kind === "ScaledObject"));
    expect(so?.["spec"]).toMatchObject({ scaleTargetRef: { name: "buildfleet-worker" } });
    const worker = JSON.parse(await run(["get", "-n", "buildfleet-system", "deployment/buildfleet-worker", "-o", "json"])) as { spec: { replicas: number } };
    // No replicas in the manifest: the server defaults it, and the HPA would own it from there.
    expect(worker.spec.replicas).toBe(1);
  });

  it("rejects a manifest the real API server would reject: a Deployment whose selector misses its pods", async () => {
    const { yaml } = await renderOverlay("dev");
    const broken = yaml.replace("app.kubernetes.io/name: buildfleet-worker\n  template:", "app.kubernetes.io/name: buildfleet-wrker\n  template:");
    expect(broken).not.toBe(yaml);
    await expect(run(["apply", "-f", "-"], broken)).rejects.toThrow(/`selector` does not match template `labels`/);
  });
});
