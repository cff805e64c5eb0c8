import { describe, expect, it } from "vitest";
import { planSchedulerSync } from "./job-schedulers.js";

describe("planSchedulerSync", () => {
  it("upserts new and changed schedules only, and removes schedulers whose schedule is gone or suspended", () => {
    const plan = planSchedulerSync(
      [
        { id: "a/same", pattern: "0 * * * *", tz: "UTC" },
        { id: "a/new", pattern: "* * * * *", tz: "UTC" },
        { id: "a/moved", pattern: "0 3 * * *", tz: "Europe/Berlin" },
      ],
      [
        { key: "a/same", pattern: "0 * * * *", tz: "UTC" },
        { key: "a/moved", pattern: "0 3 * * *", tz: "UTC" },
        { key: "a/deleted", pattern: "0 * * * *", tz: "UTC" },
      ],
    );
    expect(plan.upsert.map((u) => u.id)).toEqual(["a/new", "a/moved"]);
    expect(plan.remove).toEqual(["a/deleted"]);
  });
});
