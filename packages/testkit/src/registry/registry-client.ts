// The few distribution-API reads tests and the dev stack need: a manifest's
// digest (HEAD, as `curl -sI` shows it) and its layer list.

/** Accept types for a manifest HEAD/GET: OCI and Docker v2, single and index. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export interface RegistryAuth {
  username: string;
  password: string;
}

function headers(auth: RegistryAuth | undefined): Record<string, string> {
  const h: Record<string, string> = { accept: MANIFEST_ACCEPT };
  if (auth !== undefined) h["authorization"] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  return h;
}

/** `Docker-Content-Digest` of `<repository>:<reference>`, or undefined when the registry has no such manifest. */
export async function manifestDigest(registryUrl: string, repository: string, reference: string, auth?: RegistryAuth): Promise<string | undefined> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: "HEAD",
    headers: headers(auth),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`HEAD ${repository}:${reference} answered ${res.status}`);
  return res.headers.get("docker-content-digest") ?? undefined;
}

export interface ImageManifest {
  mediaType?: string;
  config: { digest: string };
  layers: { digest: string; size: number; mediaType: string }[];
}

export async function readManifest(registryUrl: string, repository: string, reference: string, auth?: RegistryAuth): Promise<ImageManifest> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, { headers: headers(auth), signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${repository}:${reference} answered ${res.status}`);
  return (await res.json()) as ImageManifest;
}

/** The image config JSON (labels, env, cmd) of `<repository>:<reference>`. */
export async function readImageConfig(registryUrl: string, repository: string, reference: string, auth?: RegistryAuth): Promise<Record<string, unknown>> {
  const manifest = await readManifest(registryUrl, repository, reference, auth);
  const res = await fetch(`${registryUrl}/v2/${repository}/blobs/${manifest.config.digest}`, { headers: headers(auth), signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET config blob of ${repository}:${reference} answered ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}
