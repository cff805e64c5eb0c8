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
    const plain = (r: { lines: { attempt: number; line: string }[]; next: number }) => ({ lines: r.lines.map(({ attempt, line }) => ({ attempt, line })), next: r.next });
    expect(plain(first)).toEqual({ lines: [{ attempt: 1, line: "a" }, { attempt: 1, line: "b" }, { attempt: 1, line: "c" }], next: 3 });

    await appendBuildLog(conn, ks, "b1", 2, ["d", "e", "f"], 4);
    // Trimmed to the last 4 ("c".."f"); the follower continues after "c" without repeats.
    expect(plain(await readBuildLog(conn, ks, "b1", { from: first.next }))).toEqual({
      lines: [{ attempt: 2, line: "d" }, { attempt: 2, line: "e" }, { attempt: 2, line: "f" }],
      next: 6,
    });
    expect((await readBuildLog(conn, ks, "b1", { tail: 2 })).lines.map((l) => l.line)).toEqual(["e", "f"]);
    expect((await readBuildLog(conn, ks, "b1")).lines.map((l) => l.line)).toEqual(["c", "d", "e", "f"]);
    expect(await readBuildLog(conn, ks, "b1", { from: 6 })).toEqual({ lines: [], next: 6 });
  });

  it("keeps each line's time, and with since only the lines written from then on (tail applied after)", async () => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    const at = (s: number): string => `2026-12-02T10:00:0${s}.123456789Z`; // RFC 3339 with nanoseconds, as the kubelet writes
    await appendBuildLog(conn, ks, "b3", 1, [0, 1, 2, 3].map((s) => ({ line: `line ${s}`, time: at(s) })));
    expect((await readBuildLog(conn, ks, "b3", { tail: 1 })).lines).toEqual([{ attempt: 1, line: "line 3", time: "2026-12-02T10:00:03.123Z" }]);
    const since = await readBuildLog(conn, ks, "b3", { since: Date.parse("2026-12-02T10:00:01.123Z") });
    expect(since).toEqual({ lines: [1, 2, 3].map((s) => ({ attempt: 1, line: `line ${s}`, time: `2026-12-02T10:00:0${s}.123Z` })), next: 4 });
    expect((await readBuildLog(conn, ks, "b3", { since: Date.parse(at(1)), tail: 2 })).lines.map((l) => l.line)).toEqual(["line 2", "line 3"]);
    expect((await readBuildLog(conn, ks, "b3", { since: Date.parse(at(1)), tail: 5, from: 3 })).lines.map((l) => l.line)).toEqual(["line 3"]);

    const before = Date.now();
    await appendBuildLog(conn, ks, "b4", 1, ["untimed"]);
    const [stored] = (await readBuildLog(conn, ks, "b4")).lines;
    expect(Date.parse(stored?.time ?? "")).toBeGreaterThanOrEqual(before - 1); // a plain string is stamped when stored
  });

  it("caps very long lines", async () => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    await appendBuildLog(conn, ks, "b2", 1, ["x".repeat(10_000)]);
    const [line] = (await readBuildLog(conn, ks, "b2")).lines;
    expect(line?.line.length).toBeLessThan(4_200);
  });
});
