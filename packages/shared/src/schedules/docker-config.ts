import { z } from "zod";
import type { RegistryCredentials } from "./registry-head.js";

/**
 * Registry credentials for a mirror's HEAD checks from a
 * `kubernetes.io/dockerconfigjson` Secret (the same Secret Kaniko mounts at
 * /kaniko/.docker/config.json): the entry of `auths` for the registry host,
 * as `username`/`password` or the base64 `auth` pair. Pure over the Secret's
 * `data`; the worker reads the Secret.
 */

const Auth = z.looseObject({ username: z.string().optional(), password: z.string().optional(), auth: z.string().optional() });
const DockerConfig = z.looseObject({ auths: z.record(z.string(), Auth).default({}) });

/** Keys a docker config may file Docker Hub under. */
const HUB_KEYS = ["docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"];

function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
}

export type DockerConfigResult = { ok: true; credentials: RegistryCredentials | undefined } | { ok: false; problem: string };

/** The credentials for `registry` in a Secret's data; undefined credentials when the Secret has no entry for it. */
export function credentialsFromSecretData(data: Readonly<Record<string, string>> | undefined, registry: string): DockerConfigResult {
  const raw = data?.[".dockerconfigjson"] ?? data?.["config.json"];
  if (raw === undefined) return { ok: false, problem: "the Secret has no .dockerconfigjson (expected type kubernetes.io/dockerconfigjson)" };
  let parsed: z.infer<typeof DockerConfig>;
  try {
    parsed = DockerConfig.parse(JSON.parse(Buffer.from(raw, "base64").toString("utf8")));
  } catch {
    return { ok: false, problem: "the Secret's .dockerconfigjson is not a docker config (JSON with auths)" };
  }
  const wanted = registry === "docker.io" ? HUB_KEYS : [registry];
  const entry = Object.entries(parsed.auths).find(([key]) => wanted.includes(key) || wanted.includes(hostOf(key)))?.[1];
  if (entry === undefined) return { ok: true, credentials: undefined };
  if (entry.username !== undefined && entry.password !== undefined) return { ok: true, credentials: { username: entry.username, password: entry.password } };
  if (entry.auth !== undefined) {
    const pair = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = pair.indexOf(":");
    if (colon > 0) return { ok: true, credentials: { username: pair.slice(0, colon), password: pair.slice(colon + 1) } };
  }
  return { ok: false, problem: `the Secret's entry for ${registry} has neither username/password nor auth` };
}
