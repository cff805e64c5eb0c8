import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { RESPONSE_EXCERPT_BYTES, targetAddressProblem, targetHost, targetUrlProblem, type TargetPolicy } from "@buildfleet/shared";
import type { AttemptOutcome } from "./retry-policy.js";

/**
 * The one module that sends webhook requests. Every address the socket dials is
 * checked against the target policy inside `lookup` — the address actually used,
 * not one resolved earlier — so a name that starts resolving to an internal address
 * after registration is refused. No redirects (node's client follows none), no
 * connection reuse (each connection passes the check), one deadline over
 * connect, headers and the body excerpt, and at most RESPONSE_EXCERPT_BYTES read.
 */

export interface SendOptions {
  policy: TargetPolicy;
  timeoutMs: number;
}

export type SendResult = AttemptOutcome & { responseExcerpt?: string };

export type SendWebhook = (url: string, request: { headers: Record<string, string>; body: string }, signal?: AbortSignal) => Promise<SendResult>;

class RefusedTarget extends Error {
  override name = "RefusedTarget";
}

export function createSendWebhook(options: SendOptions): SendWebhook {
  return (url, req, signal) => send(url, req, options, signal);
}

function guardedLookup(host: string, policy: TargetPolicy): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
      if (err) {
        callback(err, "", 0);
        return;
      }
      for (const a of addresses) {
        const problem = targetAddressProblem(host, a.address, policy);
        if (problem !== undefined) {
          callback(new RefusedTarget(problem), "", 0);
          return;
        }
      }
      const first = addresses[0];
      if (lookupOptions.all === true) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else if (first === undefined) callback(new RefusedTarget(`${host} resolves to no address`), "", 0);
      else callback(null, first.address, first.family);
    });
  };
}

function send(raw: string, req: { headers: Record<string, string>; body: string }, options: SendOptions, signal?: AbortSignal): Promise<SendResult> {
  const urlProblem = targetUrlProblem(raw, options.policy);
  if (urlProblem !== undefined) return Promise.resolve({ kind: "refused", message: urlProblem });
  const url = new URL(raw);
  const host = targetHost(url);
  // net.connect skips lookup for an IP literal: check it here.
  if (isIP(host) !== 0) {
    const problem = targetAddressProblem(host, host, options.policy);
    if (problem !== undefined) return Promise.resolve({ kind: "refused", message: problem });
  }
  const body = Buffer.from(req.body, "utf8");
  const make = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener("abort", onAbort);
      request.destroy();
      resolve(result);
    };
    const request = make(url, {
      method: "POST",
      headers: { ...req.headers, "content-length": String(body.length) },
      agent: false,
      lookup: guardedLookup(host, options.policy),
    });
    const onAbort = (): void => finish({ kind: "error", message: "abandoned: the dispatcher stopped" });
    signal?.addEventListener("abort", onAbort);
    const deadline = setTimeout(() => finish({ kind: "error", message: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs);
    request.on("error", (err: Error & { code?: string }) => {
      if (err instanceof RefusedTarget) finish({ kind: "refused", message: err.message });
      // The code, not the message: messages of TLS errors can be long and carry addresses.
      else finish({ kind: "error", message: `connection failed: ${err.code ?? err.name}` });
    });
    request.on("response", (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void => {
        const retryAfter: string | undefined = res.headers["retry-after"];
        finish({
          kind: "response",
          status: res.statusCode ?? 0,
          retryAfter,
          responseExcerpt: Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString("utf8"),
        });
      };
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= RESPONSE_EXCERPT_BYTES) done();
      });
      res.on("end", done);
      res.on("error", done);
    });
    if (signal?.aborted === true) onAbort();
    else request.end(body);
  });
}
