import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeApi, type FakeApi } from "../testing/fake-api.js";
import { BuildfleetClient } from "./client.js";
import { ApiError } from "./errors.js";

const T = "2026-01-01T00:00:00.000Z";
const worker = { id: "w-1", host: "node-a", pid: 7, version: "1.0.0", capacity: 4, inFlight: 1, state: "running", startedAt: T, heartbeatAt: T };
const schedule = {
  apiVersion: "buildfleet.dev/v1",
  kind: "Schedule",
  metadata: { name: "nightly" },
  spec: { cron: "0 3 * * *", timeZone: "UTC", target: { image: "app" }, skipIfUnchanged: true, cascade: false, concurrencyPolicy: "Forbid", startingDeadlineSeconds: 300, suspend: false },
  status: { tenant: "dev", createdAt: T, updatedAt: T, next: T, last: null, result: null, runs: [] },
};

let fake: FakeApi;
let client: BuildfleetClient;
beforeEach(async () => {
  fake = await startFakeApi();
  client = new BuildfleetClient({ baseUrl: fake.url, token: fake.token, timeoutMs: 5_000 });
});
afterEach(async () => {
  await fake.close();
});

describe("workers and schedules answers, through the contract's schemas", () => {
  it("reads the workers and a schedule with its history as the contract defines them", async () => {
    fake.workers = [worker];
    fake.schedules = [schedule];
    expect((await client.workers()).map((w) => [w.id, w.state, w.heartbeatAt])).toEqual([["w-1", "running", T]]);
    const got = await client.schedules.get("nightly");
    expect(got.status.runs).toEqual([]);
    expect((await client.schedules.list()).map((s) => s.metadata.name)).toEqual(["nightly"]);
  });

  it("cannot answer a worker or a schedule missing a required field: the shape breaks the test, not a client", async () => {
    const { heartbeatAt: _h, ...noHeartbeat } = worker;
    fake.workers = [noHeartbeat];
    await expect(client.workers()).rejects.toMatchObject({ status: 500 });
    const { runs: _r, ...status } = schedule.status;
    fake.schedules = [{ ...schedule, status }];
    const err = await client.schedules.get("nightly").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toContain("runs");
  });
});
