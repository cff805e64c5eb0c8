import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** Helpers shared by the deploy/ tests: render an overlay with kubectl's built-in kustomize, find objects in it. */

export const DEPLOY_DIR = fileURLToPath(new URL("../../deploy/", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const KUBECTL = process.env["KUBECTL"] ?? "/usr/bin/kubectl";
export const hasKubectl = existsSync(KUBECTL);
/**
 * Skipped with a message where kubectl is absent, but never in CI: .ci/run
 * installs kubectl, and a CI without it must fail rather than skip these.
 */
export const skipWithoutKubectl = !hasKubectl && process.env["CI"] !== "true";
if (skipWithoutKubectl) console.warn(`deploy tests skipped: no kubectl binary at ${KUBECTL} (set KUBECTL to its path)`);

export const OVERLAYS = ["dev", "production", "production-keda"] as const;
export type Overlay = (typeof OVERLAYS)[number];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** Runs kubectl; rejects with its stderr on a non-zero exit. */
export function kubectl(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(KUBECTL, args, { env: opts.env ?? process.env, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(" ")} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export function parseObjects(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const rendered = new Map<string, Promise<{ yaml: string; objects: K8sObject[] }>>();

/** `kubectl kustomize deploy/<path>`, memoised per path within a test file. */
export function render(path: string): Promise<{ yaml: string; objects: K8sObject[] }> {
  let found = rendered.get(path);
  if (!found) {
    found = kubectl(["kustomize", `${DEPLOY_DIR}${path}`]).then((yaml) => ({ yaml, objects: parseObjects(yaml) }));
    rendered.set(path, found);
  }
  return found;
}

export const renderOverlay = (overlay: Overlay) => render(`overlays/${overlay}`);

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
}

export interface PodSpec {
  containers: Container[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
}

export const deploymentSpec = (obj: K8sObject): DeploymentSpec => obj["spec"] as DeploymentSpec;

/** The ConfigMap and Secret the services read with envFrom, as the environment loadConfig sees. */
export function sharedEnv(objects: K8sObject[]): Record<string, string> {
  const configMap = find(objects, "ConfigMap", "buildfleet");
  const secret = find(objects, "Secret", "buildfleet-redis");
  return { ...(configMap["data"] as Record<string, string>), ...(secret["stringData"] as Record<string, string>) };
}

export function containerEnv(container: Container): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? ""]));
}
