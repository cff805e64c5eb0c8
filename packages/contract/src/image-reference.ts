import { ValidationError } from "./errors/index.js";

/**
 * Container image references, following the grammar of
 * github.com/distribution/reference (what docker, kaniko and registries accept):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component ( "/" path-component )*
 *   domain    := host [ ":" port ]      (first component, if it has "." or ":" or is "localhost")
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [\w][\w.-]{0,127}
 *
 * Digests are restricted to sha256 (what registries produce and kaniko reports).
 * A reference without a domain means Docker Hub: `busybox` is
 * `docker.io/library/busybox` — single-component Hub names get `library/`.
 */

export interface ImageReference {
  /** e.g. `registry.internal:5000`, or `docker.io` when the reference names none. */
  registry: string;
  /** Path inside the registry, e.g. `mirror/busybox` or `library/busybox`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository`: the fully qualified name without tag or digest. */
  name: string;
}

export const DEFAULT_REGISTRY = "docker.io";
export const IMAGE_REFERENCE_EXAMPLE = "registry.example.com/team/app:v1.2.3";

const MAX_REFERENCE_LENGTH = 512;
const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9a-fA-F:.]+\]$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
// C0 controls, DEL and C1 controls: never valid in names that reach argv or the Kubernetes API.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export type ImageReferenceResult = { ok: true; value: ImageReference } | { ok: false; problem: string };

function splitDomain(name: string): { domain: string | undefined; path: string } {
  const slash = name.indexOf("/");
  if (slash === -1) return { domain: undefined, path: name };
  const first = name.slice(0, slash);
  if (first.includes(".") || first.includes(":") || first === "localhost") {
    return { domain: first, path: name.slice(slash + 1) };
  }
  return { domain: undefined, path: name };
}

function domainProblem(domain: string): string | undefined {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith("[")) {
    const end = domain.indexOf("]");
    host = end === -1 ? domain : domain.slice(0, end + 1);
    const rest = end === -1 ? "" : domain.slice(end + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return `registry "${domain}" is not a valid host[:port]`;
      port = rest.slice(1);
    }
    if (!IPV6_HOST.test(host)) return `registry host "${host}" is not a valid IPv6 address in brackets`;
  } else {
    const colon = domain.indexOf(":");
    if (colon !== -1) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (!host.split(".").every((c) => DOMAIN_COMPONENT.test(c))) {
      return `registry host "${host}" is not a valid host name`;
    }
  }
  if (port !== undefined) {
    const n = /^[0-9]{1,5}$/.test(port) ? Number(port) : NaN;
    if (!(n >= 1 && n <= 65_535)) return `registry port "${port}" is not a number from 1 to 65535`;
  }
  return undefined;
}

function pathProblem(path: string): string | undefined {
  if (path === "") return "the repository name is empty";
  for (const component of path.split("/")) {
    if (component === "") return `repository "${path}" has an empty path component`;
    if (PATH_COMPONENT.test(component)) continue;
    if (PATH_COMPONENT.test(component.toLowerCase())) return `repository "${path}" must be lowercase`;
    return `repository path component "${component}" may only hold lowercase letters, digits and the separators . _ __ -`;
  }
  return undefined;
}

/** Parses a reference and says precisely what is wrong when it cannot. */
export function tryParseImageReference(input: string): ImageReferenceResult {
  const fail = (problem: string): ImageReferenceResult => ({ ok: false, problem });
  if (input === "") return fail("it is empty");
  if (input.length > MAX_REFERENCE_LENGTH) return fail(`it is longer than ${MAX_REFERENCE_LENGTH} characters`);
  if (/\s/.test(input)) return fail("it contains a space");
  if (CONTROL.test(input)) return fail("it contains a control character");

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return fail(`digest "${digest}" is not sha256: followed by 64 lowercase hex digits`);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag === "") return fail("the tag after ':' is empty");
    if (!TAG.test(tag)) {
      return fail(`tag "${tag}" must start with a letter, digit or _ and hold at most 128 letters, digits, _ . -`);
    }
  }

  if (rest.length > MAX_NAME_LENGTH) return fail(`the name is longer than ${MAX_NAME_LENGTH} characters`);
  const { domain, path } = splitDomain(rest);
  if (domain !== undefined) {
    const problem = domainProblem(domain);
    if (problem) return fail(problem);
  }
  const problem = pathProblem(path);
  if (problem) return fail(problem);

  const registry = domain ?? DEFAULT_REGISTRY;
  // Docker Hub's official images live under library/ ("busybox" → "library/busybox").
  const repository = registry === DEFAULT_REGISTRY && !path.includes("/") ? `library/${path}` : path;
  const value: ImageReference = { registry, repository, name: `${registry}/${repository}` };
  if (tag !== undefined) value.tag = tag;
  if (digest !== undefined) value.digest = digest;
  return { ok: true, value };
}

/** Parses a reference or throws a ValidationError naming the problem and a right value. */
export function parseImageReference(input: string): ImageReference {
  const result = tryParseImageReference(input);
  if (!result.ok) {
    const message = `"${input}" is not a valid image reference: ${result.problem}`;
    throw new ValidationError([{ path: "", message, example: IMAGE_REFERENCE_EXAMPLE }], message);
  }
  return result.value;
}

/** The fully qualified form: `docker.io/library/busybox:1.36`. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.name}${ref.tag === undefined ? "" : `:${ref.tag}`}${ref.digest === undefined ? "" : `@${ref.digest}`}`;
}
