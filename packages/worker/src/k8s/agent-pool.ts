import http from "node:http";
import https from "node:https";

/**
 * Part of the Kubernetes adapter: ONE keep-alive agent for the API server, so a burst of
 * Job creates reuses a few TCP/TLS connections instead of a handshake per call.
 *
 * The agent carries the TLS material its connections were opened with (CA, client cert…),
 * read from the kubeconfig on every call. While that material stays the same the agent is
 * reused; when it changes (a rotated client certificate, an edited kubeconfig) a new agent
 * takes over and the old one is destroyed as soon as its last request has finished.
 * Per-request credentials (bearer tokens, basic auth) are headers, never agent state.
 * Watches get a second pool of their own (`keepAlive: false`), with the same TLS logic.
 */

/** The TLS options a connection is made with. Only the keys the kubeconfig set are present. */
export interface TlsMaterial {
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  pfx?: unknown;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

const TLS_KEYS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;

/** Picks the TLS material out of options filled by `KubeConfig.applyToHTTPSOptions`. */
export function tlsMaterialOf(opts: Partial<Record<(typeof TLS_KEYS)[number], unknown>>): TlsMaterial {
  const out: Record<string, unknown> = {};
  for (const k of TLS_KEYS) if (opts[k] !== undefined && opts[k] !== null) out[k] = opts[k];
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return false;
}

export function sameTlsMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return TLS_KEYS.every((k) => sameValue(a[k], b[k]));
}

export interface AgentLease {
  readonly agent: http.Agent;
  /** Call once when the request is over (answered, failed or timed out). */
  release(): void;
}

export type AgentPoolOptions =
  | {
      /** Request/response calls: kept-alive connections, reused across calls. */
      keepAlive: true;
      /** Bound on connections to the API server; further requests queue in the agent. */
      maxSockets: number;
      /**
       * Idle keep-alive connections are closed after this long, before a server or load
       * balancer drops them: a request written to a connection the peer is closing fails.
       */
      idleSocketMs: number;
    }
  | {
      /**
       * Long-lived streams (watches): a connection per stream, closed when it ends, no socket
       * timeout, and no bound shared with the request pool, so open watches never make a
       * create queue for a connection.
       */
      keepAlive: false;
    };

interface Entry {
  protocol: "http:" | "https:";
  material: TlsMaterial;
  agent: http.Agent;
  inflight: number;
  retired: boolean;
}

export interface AgentPool {
  acquire(protocol: "http:" | "https:", material: TlsMaterial): AgentLease;
  /** Destroys every agent and its connections; requests still running fail. */
  close(): void;
}

export function createAgentPool(options: AgentPoolOptions): AgentPool {
  let current: Entry | undefined;
  const retired = new Set<Entry>();

  function newEntry(protocol: "http:" | "https:", material: TlsMaterial): Entry {
    const agentOptions: https.AgentOptions = options.keepAlive
      ? {
          keepAlive: true,
          maxSockets: options.maxSockets,
          // As many idle connections as busy ones: the next burst reuses all of them.
          maxFreeSockets: options.maxSockets,
          // Most recently used first, so connections a lull left over time out instead of rotating.
          scheduling: "lifo",
          timeout: options.idleSocketMs,
        }
      : { keepAlive: false };
    const agent = protocol === "https:" ? new https.Agent({ ...agentOptions, ...(material as https.AgentOptions) }) : new http.Agent(agentOptions);
    return { protocol, material, agent, inflight: 0, retired: false };
  }

  function retire(entry: Entry): void {
    entry.retired = true;
    if (entry.inflight === 0) entry.agent.destroy();
    else retired.add(entry);
  }

  return {
    acquire(protocol, material) {
      if (current === undefined || current.protocol !== protocol || !sameTlsMaterial(current.material, material)) {
        if (current !== undefined) retire(current);
        current = newEntry(protocol, material);
      }
      const entry = current;
      entry.inflight++;
      let released = false;
      return {
        agent: entry.agent,
        release: () => {
          if (released) return;
          released = true;
          entry.inflight--;
          if (entry.retired && entry.inflight === 0) {
            entry.agent.destroy();
            retired.delete(entry);
          }
        },
      };
    },
    close() {
      current?.agent.destroy();
      current = undefined;
      for (const entry of retired) entry.agent.destroy();
      retired.clear();
    },
  };
}
