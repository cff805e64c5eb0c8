import { parseImage } from "../catalog/image.js";
import type { CatalogEntry } from "../catalog/graph.js";
import type { CatalogStore } from "../catalog-store/catalog-store.js";
import { planRebuild } from "../rebuild-runner/runner.js";

/** Test fixtures for the catalog and rebuild waves: images built from inline Dockerfiles. */

export const REG = "registry.internal:5000";
export const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;

export interface FixtureOptions {
  tenant?: string;
  pushes?: string[];
  buildArgs?: Record<string, string>;
  onBaseChange?: boolean;
  /** Declared bases for a git-context image (its Dockerfile unreadable). */
  declared?: string[];
}

/** An image `name` of tenant `team` pushing `${REG}/team/name:v1` by default, built from `dockerfile`. */
export function entry(name: string, dockerfile: string, options: FixtureOptions = {}): CatalogEntry {
  const tenant = options.tenant ?? "team";
  const build =
    options.declared === undefined
      ? { context: { type: "inline", files: {} }, dockerfile: { inline: dockerfile } }
      : { context: { type: "git", url: "https://github.com/example/app.git" }, dockerfile: { path: "Dockerfile" } };
  const image = parseImage({
    apiVersion: "buildfleet.dev/v1",
    kind: "Image",
    metadata: { name },
    spec: {
      build: {
        ...build,
        destinations: options.pushes ?? [`${REG}/${tenant}/${name}:v1`],
        ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
      },
      ...(options.declared ? { bases: options.declared } : {}),
      ...(options.onBaseChange === undefined ? {} : { rebuild: { onBaseChange: options.onBaseChange } }),
    },
  });
  return { tenant, image };
}

/** `FROM ${REG}/team/<parent>:v1` for each parent (multi-stage after the first). */
export function fromImages(...parents: string[]): string {
  return parents.map((p, i) => `FROM ${REG}/${p.includes("/") ? p : `team/${p}`}:v1 AS s${i}`).join("\n");
}

/**
 * Applies `n` images of tenant `team` built FROM `${REG}/team/base:v1` and
 * plans the admin-scoped wave for that base at `digest(1)`: one level of `n` nodes.
 */
export async function planFanOut(catalog: CatalogStore, n: number) {
  for (let i = 0; i < n; i++) {
    const { tenant, image } = entry(`app-${i}`, `FROM ${REG}/team/base:v1\nRUN true\n`);
    const res = await catalog.apply(tenant, image);
    if (!res.ok) throw new Error(res.check.message);
  }
  const { result } = await planRebuild({ catalog }, { kind: "admin" }, { base: `${REG}/team/base:v1`, digest: digest(1) });
  if (!result.ok) throw new Error(result.message);
  return result.plan;
}
