import { describe, expect, it } from "vitest";
import { useRedis } from "@buildfleet/testkit";
import { createWorkerConnection } from "../redis/connections.js";
import { parseSchedule } from "./schedule.js";
import { ScheduleStore, scheduleId } from "./schedule-store.js";

const redis = useRedis();

const doc = (name: string, suspend = false) =>
  parseSchedule(
    {
      apiVersion: "buildfleet.dev/v1",
      kind: "Schedule",
      metadata: { name },
      spec: { cron: "0 * * * *", suspend, target: { build: { context: { type: "inline", files: {} }, dockerfile: { inline: "FROM busybox:1.36\n" }, destinations: ["registry.internal:5000/a:1"] } } },
    },
    { tagPolicy: "allow-latest" },
  );

describe("ScheduleStore change log (Redis)", () => {
  it("every put and delete bumps the version and names its schedule once among the changes after it", async () => {
    const store = new ScheduleStore(redis.track(createWorkerConnection(redis.url)), redis.prefix);
    expect(await store.version()).toBe(0);
    await store.put("t", doc("a"));
    await store.put("t", doc("b"));
    const v = await store.version();
    expect(await store.changesSince(v)).toEqual({ version: v, ids: [] });

    await store.put("t", doc("a", true)); // suspend is a put
    await store.put("t", doc("a", false));
    expect(await store.delete("t", "b")).toBe(true);
    const changes = await store.changesSince(v);
    expect({ ids: [...changes.ids].sort(), version: changes.version }).toEqual({ ids: [scheduleId("t", "a"), scheduleId("t", "b")], version: v + 3 });
    const read = await store.getMany(changes.ids);
    expect(read.get(scheduleId("t", "a"))?.schedule.spec.suspend).toBe(false);
    expect(read.has(scheduleId("t", "b")) && read.get(scheduleId("t", "b")) === undefined).toBe(true);
  });

  it("trimming drops only the entries at or below the version", async () => {
    const store = new ScheduleStore(redis.track(createWorkerConnection(redis.url)), redis.prefix);
    await store.put("t", doc("a"));
    const v = await store.version();
    await store.put("t", doc("b"));
    await store.trimChanges(v);
    expect(await store.changesSince(0)).toEqual({ version: v + 1, ids: [scheduleId("t", "b")] });
  });
});
