import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { keyspace } from "../redis/keyspace.js";
import { appendBuildLog, readBuildLog } from "./build-logs.js";

describe("build logs", () => {
  const redis = useRedis();

  it("keeps the newest lines, tagged by attempt, and lets a follower resume by position", async () => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    await appendBuildLog(conn, ks, "b1", 1, ["a", "b", "c"], 4);
    const first = await readBuildLog(conn, ks, "b1");
    expect(first).toEqual({ lines: [{ attempt: 1, line: "a" }, { attempt: 1, line: "b" }, { attempt: 1, line: "c" }], next: 3 });

    await appendBuildLog(conn, ks, "b1", 2, ["d", "e", "f"], 4);
    // Trimmed to the last 4 ("c".."f"); the follower continues after "c" without repeats.
    expect(await readBuildLog(conn, ks, "b1", { from: first.next })).toEqual({
      lines: [{ attempt: 2, line: "d" }, { attempt: 2, line: "e" }, { attempt: 2, line: "f" }],
      next: 6,
    });
    expect((await readBuildLog(conn, ks, "b1", { tail: 2 })).lines.map((l) => l.line)).toEqual(["e", "f"]);
    expect((await readBuildLog(conn, ks, "b1")).lines.map((l) => l.line)).toEqual(["c", "d", "e", "f"]);
    expect(await readBuildLog(conn, ks, "b1", { from: 6 })).toEqual({ lines: [], next: 6 });
  });

  it("caps very long lines", async () => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    await appendBuildLog(conn, ks, "b2", 1, ["x".repeat(10_000)]);
    const [line] = (await readBuildLog(conn, ks, "b2")).lines;
    expect(line?.line.length).toBeLessThan(4_200);
  });
});
