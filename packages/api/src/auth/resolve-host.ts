import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Resolution } from "./context-hosts.js";

/** Resolves a context host the way the fetcher would (getaddrinfo, every address), with a deadline. */
export type ResolveHost = (host: string) => Promise<Resolution>;

export function createResolveHost(timeoutMs = 3_000): ResolveHost {
  return async (host) => {
    if (isIP(host) !== 0) return { ok: true, addresses: [host] };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<Resolution>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, why: `no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    try {
      return await Promise.race([
        lookup(host, { all: true, verbatim: true }).then(
          (found): Resolution => ({ ok: true, addresses: found.map((a) => a.address) }),
          (err: unknown): Resolution => ({ ok: false, why: (err as { code?: string }).code ?? "lookup failed" }),
        ),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
}
