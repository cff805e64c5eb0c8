import { describe, expect, it } from "vitest";
import { parseRedisUrl, redisUrlProblem } from "./redis-url.js";

describe("parseRedisUrl", () => {
  it("keeps a redis:// URL as one Redis", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6379/0")).toEqual({ kind: "single", url: "redis://127.0.0.1:6379/0" });
  });

  it("reads redis+cluster:// as seed nodes with credentials and TLS", () => {
    expect(parseRedisUrl("rediss+cluster://app:s%40cret@10.0.0.1:7000,10.0.0.2:7001")).toEqual({
      kind: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
      ],
      username: "app",
      password: "s@cret",
      tls: true,
    });
    expect(parseRedisUrl("redis+cluster://:pw@[::1]:7000")).toMatchObject({ nodes: [{ host: "::1", port: 7000 }], password: "pw", tls: false });
  });

  it("names the bad node without echoing the password", () => {
    const problem = redisUrlProblem("redis+cluster://u:hunter2@10.0.0.1:7000,nope");
    expect(problem).toMatch(/cluster node "nope"/);
    expect(problem).not.toMatch(/hunter2/);
    expect(redisUrlProblem("http://x")).toMatch(/redis\+cluster:\/\//);
  });
});
