import { createHash } from "node:crypto";

/**
 * Pushes a changed copy of `repository:from` as `repository:to` through the
 * distribution API: the same layers, a config with one more label, so the
 * manifest digest changes the way an upstream re-release does. Faster than a
 * second buildah build, and a real image the registry serves.
 */
export async function pushVariant(registryUrl: string, repository: string, from: string, to: string, label: string): Promise<string> {
  const accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
  const mres = await fetch(`${registryUrl}/v2/${repository}/manifests/${from}`, { headers: { accept } });
  if (!mres.ok) throw new Error(`GET manifest answered ${mres.status}`);
  const mediaType = mres.headers.get("content-type") ?? "application/vnd.oci.image.manifest.v1+json";
  const manifest = (await mres.json()) as { config: { digest: string; size: number; mediaType: string } };
  const cres = await fetch(`${registryUrl}/v2/${repository}/blobs/${manifest.config.digest}`);
  const config = (await cres.json()) as { config?: { Labels?: Record<string, string> } };
  config.config = { ...config.config, Labels: { ...config.config?.Labels, "buildfleet.test/variant": label } };
  const body = Buffer.from(JSON.stringify(config));
  const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
  const up = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: "POST" });
  const location = new URL(up.headers.get("location") ?? "", registryUrl);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body });
  if (put.status !== 201) throw new Error(`blob upload answered ${put.status}`);
  const next = { ...manifest, config: { ...manifest.config, digest, size: body.length } };
  const mput = await fetch(`${registryUrl}/v2/${repository}/manifests/${to}`, { method: "PUT", headers: { "content-type": mediaType }, body: JSON.stringify(next) });
  if (mput.status !== 201) throw new Error(`manifest PUT answered ${mput.status}`);
  return mput.headers.get("docker-content-digest") ?? "";
}
