// Errors carrying a real `kind: Status` body, so the HTTP layer can send them
// unchanged and clients (client-node ApiException, kubectl) parse them as they
// would from a real API server.

export type StatusReason =
  | "BadRequest"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "Gone"
  | "Expired"
  | "TooManyRequests"
  | "InternalError"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "UnsupportedMediaType"
  | "ServiceUnavailable"
  | "Timeout"
  | "Forbidden";

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  apiVersion: "v1";
  kind: "Status";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** Resource identity used in messages: `jobs.batch "x"` / `pods "x"`. */
export interface ResourceRef {
  /** Plural resource name, e.g. "jobs". */
  resource: string;
  /** API group, "" for core. */
  group: string;
}

export class StatusError extends Error {
  override readonly name = "StatusError";
  readonly code: number;
  readonly reason: StatusReason;
  readonly body: StatusBody;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.body = {
      apiVersion: "v1",
      kind: "Status",
      metadata: {},
      status: "Failure",
      message,
      reason,
      ...(details === undefined ? {} : { details }),
      code,
    };
  }
}

export function isStatusError(err: unknown): err is StatusError {
  return err instanceof StatusError;
}

/** `jobs.batch` for group resources, `pods` for core ones — as the real server prints them. */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group === "" ? ref.resource : `${ref.resource}.${ref.group}`;
}

function details(ref: ResourceRef, name: string): StatusDetails {
  return ref.group === ""
    ? { name, kind: ref.resource }
    : { name, group: ref.group, kind: ref.resource };
}

export function notFound(ref: ResourceRef, name: string): StatusError {
  return new StatusError(404, "NotFound", `${qualifiedResource(ref)} "${name}" not found`, details(ref, name));
}

export function alreadyExists(ref: ResourceRef, name: string): StatusError {
  return new StatusError(
    409,
    "AlreadyExists",
    `${qualifiedResource(ref)} "${name}" already exists`,
    details(ref, name),
  );
}

export function conflict(ref: ResourceRef, name: string): StatusError {
  return new StatusError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(ref, name),
  );
}

/**
 * 422 Invalid. `kind` is the object Kind ("Job"), `group` its API group; the
 * message mirrors `Job.batch "x" is invalid: field: Invalid value: ...`.
 */
export function invalid(
  kind: string,
  group: string,
  name: string,
  causes: StatusCause[],
): StatusError {
  const qualifiedKind = group === "" ? kind : `${kind}.${group}`;
  const text = causes.map((c) => `${c.field ?? ""}: ${c.message ?? ""}`).join(", ");
  const body: StatusDetails = group === "" ? { name, kind, causes } : { name, group, kind, causes };
  const list = causes.length > 1 ? `[${text}]` : text;
  return new StatusError(422, "Invalid", `${qualifiedKind} "${name}" is invalid: ${list}`, body);
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, "BadRequest", message);
}

export function methodNotAllowed(message = "the server does not allow this method on the requested resource"): StatusError {
  return new StatusError(405, "MethodNotAllowed", message);
}

/** What a watch from a compacted resourceVersion receives (client-node informers relist on it). */
export function expired(requested: number, oldest: number): StatusError {
  return new StatusError(410, "Expired", `too old resource version: ${requested} (${oldest})`);
}

export function tooManyRequests(retryAfterSeconds: number): StatusError {
  return new StatusError(429, "TooManyRequests", "Too many requests, please try again later.", {
    retryAfterSeconds,
  });
}

export function internalError(message = "Internal error occurred: injected fault"): StatusError {
  return new StatusError(500, "InternalError", message, { causes: [{ message }] });
}

/** Maps an HTTP code to the reason the real server uses for it (for injected faults). */
/**
 * What the API server answers when RBAC denies a request: reason Forbidden, the
 * message naming the user, verb, resource and namespace (the real wording).
 */
export function forbidden(verb: string, resource: string, namespace?: string, user = "system:serviceaccount:buildfleet:buildfleet-worker"): StatusError {
  const group = resource === "jobs" ? "batch" : "";
  const qualified = group ? `${resource}.${group}` : resource;
  const where = namespace ? ` in the namespace "${namespace}"` : " at the cluster scope";
  return new StatusError(
    403,
    "Forbidden",
    `${qualified} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"${where}`,
    { group, kind: resource },
  );
}

export function statusForCode(code: number, message?: string): StatusError {
  switch (code) {
    case 400:
      return badRequest(message ?? "injected fault");
    case 404:
      return new StatusError(404, "NotFound", message ?? "injected fault: not found");
    case 409:
      return new StatusError(409, "Conflict", message ?? "injected fault: conflict");
    case 410:
      return new StatusError(410, "Gone", message ?? "injected fault: gone");
    case 429:
      return tooManyRequests(1);
    case 503:
      return new StatusError(503, "ServiceUnavailable", message ?? "injected fault: service unavailable");
    case 504:
      return new StatusError(504, "Timeout", message ?? "injected fault: timeout");
    default:
      return new StatusError(code, "InternalError", message ?? "Internal error occurred: injected fault");
  }
}
