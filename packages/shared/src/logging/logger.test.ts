import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactUrl } from "./logger.js";

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("createLogger", () => {
  it("writes JSON lines with the service name, level label and child context", () => {
    const out = capture();
    const logger = createLogger({ name: "worker", destination: out.stream });
    logger.child({ component: "tracker" }).child({ buildId: "01j0", attempt: 2 }).info("job created");
    expect(out.lines()[0]).toMatchObject({
      name: "worker",
      level: "info",
      component: "tracker",
      buildId: "01j0",
      attempt: 2,
      msg: "job created",
    });
  });

  it("censors auth headers, tokens, passwords and Redis URLs", () => {
    const out = capture();
    const logger = createLogger({ name: "api", destination: out.stream });
    logger.info(
      {
        req: { headers: { authorization: "Bearer s3cret", cookie: "sid=1" } },
        token: "t0ken",
        config: { password: "hunter2", redisUrl: "redis://:pw@h:6379" },
      },
      "request",
    );
    const text = JSON.stringify(out.lines()[0]);
    for (const secret of ["s3cret", "sid=1", "t0ken", "hunter2", ":pw@"]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain("[redacted]");
  });

  it("respects the level", () => {
    const out = capture();
    const logger = createLogger({ name: "api", level: "warn", destination: out.stream });
    logger.info("hidden");
    logger.warn("shown");
    expect(out.lines().map((l) => l["msg"])).toEqual(["shown"]);
  });
});

describe("redactUrl", () => {
  it("masks the password and keeps the rest", () => {
    expect(redactUrl("redis://user:pw@redis.internal:6380/2")).toBe("redis://user:***@redis.internal:6380/2");
    expect(redactUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
    expect(redactUrl("not a url")).toBe("[unparseable url]");
  });
});
