import { dockerfileBases } from "./dockerfile-bases.js";
import { readableDockerfile } from "./image.js";
import type { Image } from "./image.js";
import { tryNormaliseReference } from "./image-ref.js";

/**
 * The bases of a catalog Image: read from its Dockerfile when buildfleet can
 * read it (inline, or a file of an inline context), else the references it
 * declares in spec.bases. Computed when an Image is applied and stored with
 * it, so that planning a wave never parses ten thousand Dockerfiles.
 */

import type { BaseSource } from "@buildfleet/contract";
export type { BaseSource };

export interface ResolvedBase {
  /** Canonical reference, e.g. `docker.io/library/debian:12`. */
  reference: string;
  source: BaseSource;
}

/** Where the Dockerfile was read from; absent when the bases were declared. */
export type DockerfileLocation = { inline: true } | { file: string };

export type BaseResolution =
  | { state: "resolved"; bases: ResolvedBase[]; dockerfile?: DockerfileLocation }
  | { state: "unresolved"; reason: string };

export function resolveBases(image: Image): BaseResolution {
  const build = image.spec.build;
  const readable = readableDockerfile(build);
  if (readable !== undefined) {
    const found = dockerfileBases(readable.text, build.buildArgs ?? {});
    if (!found.ok) return { state: "unresolved", reason: found.reason };
    return {
      state: "resolved",
      bases: found.bases.map((b) => ({ reference: b.reference, source: b.source })),
      dockerfile: readable.at,
    };
  }
  const declared = image.spec.bases;
  if (declared === undefined || declared.length === 0) {
    return {
      state: "unresolved",
      reason: `the Dockerfile is read from the ${build.context.type} context, which buildfleet cannot read before the build; declare the images it builds FROM in spec.bases`,
    };
  }
  const bases: ResolvedBase[] = [];
  for (const [index, written] of declared.entries()) {
    const normalised = tryNormaliseReference(written);
    // The schema has checked every declared base; this only keeps the function total.
    if (!normalised.ok) return { state: "unresolved", reason: `spec.bases[${index}]: ${normalised.problem}` };
    bases.push({ reference: normalised.value.canonical, source: { kind: "declared", index } });
  }
  return { state: "resolved", bases };
}

/** One line per base for people: `docker.io/library/debian:12 (FROM, line 1)`. */
export function describeSource(source: BaseSource): string {
  switch (source.kind) {
    case "from":
      return `FROM on line ${source.line}`;
    case "copy-from":
      return `COPY --from on line ${source.line}`;
    case "run-mount":
      return `RUN --mount from= on line ${source.line}`;
    case "build-arg":
      return `build arg ${source.name} (${source.instruction === "from" ? "FROM" : source.instruction === "copy-from" ? "COPY --from" : "RUN --mount from="} on line ${source.line})`;
    case "declared":
      return `spec.bases[${source.index}]`;
  }
}
