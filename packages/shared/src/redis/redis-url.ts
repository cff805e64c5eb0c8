/**
 * The forms of REDIS_URL (pure parsing, no IO):
 * - `redis://[user:password@]host:port[/db]` and `rediss://…` — one Redis;
 * - `redis+cluster://[user:password@]host:port,host:port,…` (or `rediss+cluster://` for TLS)
 *   — a Redis Cluster; the listed nodes are seeds, ioredis discovers the rest.
 */
export type RedisTarget =
  | { kind: "single"; url: string }
  | {
      kind: "cluster";
      nodes: { host: string; port: number }[];
      username?: string;
      password?: string;
      tls: boolean;
    };

export class RedisUrlError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "RedisUrlError";
  }
}

const CLUSTER = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/;

export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\/\S+$/.test(url)) return { kind: "single", url };
  const m = CLUSTER.exec(url);
  if (!m) {
    throw new RedisUrlError(
      "REDIS_URL: expected redis://host:port, rediss://host:port or redis+cluster://host:port,host:port,… (example: redis+cluster://10.0.0.1:6379,10.0.0.2:6379)",
    );
  }
  const [, scheme, userinfo, hostList] = m as unknown as [string, string, string | undefined, string];
  const nodes = hostList.split(",").map((hp) => {
    const at = hp.lastIndexOf(":");
    const host = at > 0 ? hp.slice(0, at) : "";
    const port = Number(hp.slice(at + 1));
    if (host === "" || !Number.isInteger(port) || port < 1 || port > 65_535) {
      // The node text only, never the credentials.
      throw new RedisUrlError(`REDIS_URL: cluster node "${hp}" is not host:port (example: 10.0.0.1:6379)`);
    }
    return { host: host.replace(/^\[(.*)\]$/, "$1"), port };
  });
  const target: RedisTarget = { kind: "cluster", nodes, tls: scheme === "rediss" };
  if (userinfo !== undefined && userinfo !== "") {
    const colon = userinfo.indexOf(":");
    const user = decodeURIComponent(colon >= 0 ? userinfo.slice(0, colon) : "");
    const password = decodeURIComponent(colon >= 0 ? userinfo.slice(colon + 1) : userinfo);
    if (user !== "") target.username = user;
    if (password !== "") target.password = password;
  }
  return target;
}

/** Whether `url` is one of the accepted forms (for config validation). */
export function redisUrlProblem(url: string): string | undefined {
  try {
    parseRedisUrl(url);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message.replace(/^REDIS_URL: /, "") : String(err);
  }
}
