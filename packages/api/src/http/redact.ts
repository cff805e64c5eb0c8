/**
 * Credentials people put where they do not belong — a token as a URL's user
 * name, `?token=` or a signed URL's signature in a query string — must not come
 * back in an answer or go into a log line. Pure string functions, applied at the
 * two places text leaves the API: the error body (error-response.ts) and the
 * logger's serializers (app.ts).
 */

export const REDACTED = "[redacted]";

/** Query parameters whose value is a credential (compared case-insensitively). */
const SENSITIVE_PARAMS = new Set([
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "auth",
  "authorization",
  "password",
  "passwd",
  "pwd",
  "secret",
  "client_secret",
  "key",
  "api_key",
  "apikey",
  "api-key",
  "sig",
  "signature",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
  "x-goog-signature",
  "x-goog-credential",
]);

function sensitiveParam(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // keep the raw name
  }
  return SENSITIVE_PARAMS.has(decoded.toLowerCase());
}

/** Something URL-shaped with a scheme, up to whitespace, a quote or an angle bracket. */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`\\]+/gi;

function redactOneUrl(url: string): string {
  const schemeEnd = url.indexOf("://") + 3;
  const rest = url.slice(schemeEnd);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? "" : rest.slice(authorityEnd);
  // The user info ends at the LAST '@' of the authority (a password may hold '@').
  const at = authority.lastIndexOf("@");
  const host = at === -1 ? authority : `${REDACTED}@${authority.slice(at + 1)}`;
  return `${url.slice(0, schemeEnd)}${host}${redactQuery(tail)}`;
}

/** `path?a=1&token=x#f` → `path?a=1&token=[redacted]#f`. */
function redactQuery(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf("?");
  if (q === -1) return pathAndQuery;
  const hash = pathAndQuery.indexOf("#", q);
  const query = hash === -1 ? pathAndQuery.slice(q + 1) : pathAndQuery.slice(q + 1, hash);
  const fragment = hash === -1 ? "" : pathAndQuery.slice(hash);
  const pairs = query.split("&").map((pair) => {
    const eq = pair.indexOf("=");
    if (eq === -1) return pair;
    const name = pair.slice(0, eq);
    if (sensitiveParam(name)) return `${name}=${REDACTED}`;
    // A value may itself be a (percent-encoded) URL with credentials, e.g. ?url=https%3A%2F%2Fu%3Ap%40host.
    const value = pair.slice(eq + 1);
    let decoded: string;
    try {
      decoded = decodeURIComponent(value.replace(/\+/g, " "));
    } catch {
      return pair;
    }
    const redacted = redactText(decoded);
    return redacted === decoded ? pair : `${name}=${encodeURIComponent(redacted).replaceAll(encodeURIComponent(REDACTED), REDACTED)}`;
  });
  return `${pathAndQuery.slice(0, q)}?${pairs.join("&")}${fragment}`;
}

/** Every URL in a free text (an error message) with its user info and credential parameters redacted. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, redactOneUrl);
}

/** A request target as logged (`/v1/events?since=…`): credential parameters and embedded URLs redacted. */
export function redactRequestUrl(url: string): string {
  return redactText(redactQuery(url));
}
