// Small helpers over node:http so handlers stay readable. JSON only: kubesim
// never answers protobuf, even when a client says it accepts it.
import type { IncomingMessage, ServerResponse } from "node:http";
import { badRequest, StatusError } from "../store/errors.js";

/** Upper bound for request bodies; real servers cap at 3 MiB per object too. */
const MAX_BODY = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new StatusError(413, "BadRequest", "Request entity too large: limit is 3145728"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`the object provided is unrecognized: ${(err as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-cache, private",
    ...headers,
  });
  res.end(text);
}

export function sendStatus(res: ServerResponse, err: StatusError): void {
  const headers: Record<string, string> = {};
  const retry = err.body.details?.retryAfterSeconds;
  if (retry !== undefined) headers["Retry-After"] = String(retry);
  sendJson(res, err.code, err.body, headers);
}

export function sendText(res: ServerResponse, code: number, text: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(code, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export function notFoundPath(): StatusError {
  return new StatusError(404, "NotFound", "the server could not find the requested resource", {});
}

/** `true` for "true"/"1", like the real server's boolean query parameters. */
export function boolParam(value: string | null): boolean {
  return value === "true" || value === "1";
}

export function intParam(name: string, value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw badRequest(`invalid ${name}: ${JSON.stringify(value)}: must be an integer`);
  return n;
}

export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.includes("as=Table");
}
