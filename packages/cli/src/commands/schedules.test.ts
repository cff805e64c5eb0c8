import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useScriptedCli } from "../test-support/scripted-api.js";

/** The schedule commands against a scripted fetch: what they send, what they print, how they exit. */

const api = useScriptedCli("schedules");


const view = (name: string, result: string | null) => ({
  apiVersion: "buildfleet.dev/v1",
  kind: "Schedule",
  metadata: { name },
  spec: { cron: "0 * * * *", timeZone: "UTC", target: {}, skipIfUnchanged: true, cascade: false, concurrencyPolicy: "Forbid", startingDeadlineSeconds: 300, suspend: false },
  status: { tenant: "team-a", createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", next: "2026-01-01T11:00:00.000Z", last: "2026-01-01T10:00:00.000Z", result, runs: [] },
});


describe("schedules commands", () => {
  it("applies a Schedule document with PUT /v1/schedules/:name", async () => {
    await writeFile(join(api.dir, "s.yaml"), "apiVersion: buildfleet.dev/v1\nkind: Schedule\nmetadata: { name: busybox-mirror }\nspec: { cron: '0 * * * *', target: { mirror: { source: 'busybox:latest', destinations: ['r.internal:5000/m/busybox:1'] } } }\n");
    api.answer = () => json(201, { result: "created", schedule: view("busybox-mirror", null) });
    const run = await api.run(["apply", "-f", "s.yaml"]);
    expect(run.code).toBe(0);
    expect(api.sent[0]).toMatchObject({ method: "PUT", path: "/v1/schedules/busybox-mirror" });
    expect(run.stdout).toBe("schedule/busybox-mirror created\n");
  });

  it("lists NAME, CRON, NEXT, LAST and RESULT", async () => {
    api.answer = () => json(200, { items: [view("busybox-mirror", "skipped: unchanged")] });
    const run = await api.run(["schedules", "ls"]);
    expect(run.stdout.split("\n")[0]).toMatch(/^NAME\s+CRON\s+NEXT\s+LAST\s+RESULT/);
    expect(run.stdout).toContain("skipped: unchanged");
  });

  it("triggers, suspends, resumes and deletes by name", async () => {
    api.answer = (s) => json(s.method === "DELETE" ? 200 : 202, s.path.endsWith("/trigger") ? { triggered: "m", fireAt: "x" } : view("m", null));
    for (const verb of ["trigger", "suspend", "resume", "delete"]) expect((await api.run(["schedules", verb, "m"])).code).toBe(0);
    expect(api.sent.map((s) => `${s.method} ${s.path}`)).toEqual(["POST /v1/schedules/m/trigger", "POST /v1/schedules/m/suspend", "POST /v1/schedules/m/resume", "DELETE /v1/schedules/m"]);
  });
});
