import type { ErrorBody, SessionView } from "./types";

/** An API answer other than 2xx, with the API's own code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

let session: SessionView | undefined;

/** The CSRF token state-changing calls send; set at sign-in and from GET /ui/session. */
export function setSession(value: SessionView | undefined): void {
  session = value;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as ErrorBody;
    return new ApiError(res.status, body.error.code, body.error.message);
  } catch {
    return new ApiError(res.status, "HTTP_ERROR", `${res.status} ${res.statusText}`);
  }
}

/**
 * A same-origin call: the session cookie goes along by itself (it is HttpOnly,
 * the page never sees it); non-GET calls carry the session's CSRF token.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && session) headers[session.csrfHeader] = session.csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const signIn = (token: string): Promise<SessionView> => api<SessionView>("POST", "/ui/session", { token });
export const currentSession = (): Promise<SessionView> => api<SessionView>("GET", "/ui/session");
export const signOut = (): Promise<void> => api<void>("DELETE", "/ui/session");

export const isAdmin = (s: SessionView | undefined): boolean => s?.scopes.includes("admin") ?? false;
export const hasScope = (s: SessionView | undefined, scope: string): boolean => s?.scopes.includes(scope) ?? false;
