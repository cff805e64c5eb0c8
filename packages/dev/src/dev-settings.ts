import { createHash, randomBytes } from "node:crypto";

/**
 * Pure pieces of the local stack: the dev token's entry, the env file, the
 * kubesim scenario. Kept apart from the IO so they are tested alone.
 */

export const DEV_TENANT = "dev";
/** The registries the examples push to; a dev token may push nowhere else. */
export const DEV_REGISTRIES = ["registry.internal:5000"] as const;
/** The Secret the examples name for registry credentials. */
export const DEV_SECRETS = ["regcred"] as const;
/** The PersistentVolumeClaim examples/pvc-workspace.yaml (and the CLI's --pvc examples) mount. */
export const DEV_CLAIMS = ["kaniko-workspace"] as const;

/**
 * The claim object kubesim needs for DEV_CLAIMS: it checks mounts, and a pod
 * whose claim does not exist stays unscheduled as on a cluster.
 */
export function devClaim(name: string) {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name },
    spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "1Gi" } } },
  };
}

export function newDevToken(): string {
  return `bfdev_${randomBytes(24).toString("base64url")}`;
}

/** The token-list entry for the dev token (the API stores only the hash). */
export function devTokenEntry(
  token: string,
  registries: readonly string[] = DEV_REGISTRIES,
  rateLimit?: { max: number; timeWindowMs: number },
) {
  return {
    ...(rateLimit ? { rateLimit } : {}),
    tenant: DEV_TENANT,
    tokenSha256: createHash("sha256").update(token, "utf8").digest("hex"),
    scopes: ["submit", "read", "cancel", "admin"] as ("submit" | "read" | "cancel" | "admin")[],
    registries: [...registries],
    secrets: [...DEV_SECRETS],
    claims: [...DEV_CLAIMS],
  };
}

/** `.buildfleet/dev.env`: what the CLI (and a shell, via `source`) needs to reach the stack. */
export function renderDevEnv(values: {
  url: string;
  token: string;
  kubeconfig: string;
  workerMetricsUrl?: string;
  uiUrl?: string;
  registryUrl?: string;
}): string {
  const quote = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;
  return [
    "# Written by `pnpm dev`; removed when it stops. `source .buildfleet/dev.env` to use it in a shell.",
    `BUILDFLEET_URL=${quote(values.url)}`,
    `BUILDFLEET_TOKEN=${quote(values.token)}`,
    `KUBECONFIG=${quote(values.kubeconfig)}`,
    ...(values.workerMetricsUrl !== undefined ? [`WORKER_METRICS_URL=${quote(values.workerMetricsUrl)}`] : []),
    ...(values.uiUrl !== undefined ? [`BUILDFLEET_UI_URL=${quote(values.uiUrl)}`] : []),
    ...(values.registryUrl !== undefined ? [`REGISTRY_URL=${quote(values.registryUrl)}`] : []),
    "",
  ].join("\n");
}

/**
 * kubesim scenario of the local stack: a build pushing to a repository under
 * `/fail/` fails every attempt (kaniko exit 1), so a failure can be watched
 * end to end without a broken Dockerfile. Every other build succeeds.
 */
export const FAIL_ON_PURPOSE_SCENARIO = {
  rules: [
    {
      name: "fail on purpose",
      match: { args: "^--destination=[^ ]*/fail/" },
      attempts: [{ exit: { code: 1, afterMs: 3_000, message: "error pushing image: scripted failure (destination under /fail/)" } }],
    },
  ],
};
