import { describe, expect, it } from "vitest";
import { BuildfleetClient } from "./client.js";
import { ApiError } from "./errors.js";
import type { FetchLike } from "./http.js";

/** client.images and client.rebuilds: the requests they send and what they make of the answers. */

function scripted(answers: ((path: string, init: RequestInit) => { status: number; body: unknown })[]) {
  const sent: { method: string; path: string; body: unknown }[] = [];
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    const path = `${url.pathname}${url.search}`;
    sent.push({ method: init.method ?? "GET", path, body: typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : undefined });
    const answer = (answers.length > 1 ? answers.shift() : answers[0])!(path, init);
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { "content-type": "application/json" } });
  };
  return { client: new BuildfleetClient({ baseUrl: "http://api.test", token: "t", fetch }), sent };
}

const wave = (state: string, succeeded: number) => ({ id: "rw-abc12345", state, counts: { succeeded }, nodes: [], levels: [] });

describe("client.images", () => {
  it("PUTs an Image under its name and answers the result", async () => {
    const { client, sent } = scripted([() => ({ status: 201, body: { result: "created", image: { metadata: { name: "base" } } } })]);
    const res = await client.images.apply({ apiVersion: "buildfleet.dev/v1", kind: "Image", metadata: { name: "base" }, spec: {} });
    expect(res.result).toBe("created");
    expect(sent[0]).toMatchObject({ method: "PUT", path: "/v1/images/base" });
  });

  it("turns a 422 cycle refusal into an ApiError with its status", async () => {
    const { client } = scripted([() => ({ status: 422, body: { error: { code: "VALIDATION_FAILED", message: "applying image c would close a cycle: c → a → c", issues: [] } } })]);
    const err = await client.images.apply({ metadata: { name: "c" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
  });

  it("asks for the dependents of a reference", async () => {
    const { client, sent } = scripted([() => ({ status: 200, body: { base: "x", dependents: ["t/a", "t/b"] } })]);
    expect(await client.images.dependents("registry.internal:5000/t/base:v1")).toEqual(["t/a", "t/b"]);
    expect(sent[0]?.path).toBe(`/v1/images/graph/dependents?base=${encodeURIComponent("registry.internal:5000/t/base:v1")}`);
  });
});

describe("client.rebuilds", () => {
  it("plan sends dryRun: true, start dryRun: false", async () => {
    const { client, sent } = scripted([() => ({ status: 200, body: { plan: { levels: [], nodes: [], warnings: [], tree: "" } } }), () => ({ status: 201, body: wave("running", 0) })]);
    await client.rebuilds.plan({ base: "base" });
    await client.rebuilds.start({ images: ["a"], maxInFlight: 2 });
    expect(sent.map((s) => s.body)).toEqual([
      { base: "base", dryRun: true },
      { images: ["a"], maxInFlight: 2, dryRun: false },
    ]);
  });

  it("waitFor polls until the wave is finished, reporting each change of its counts", async () => {
    const { client } = scripted([() => ({ status: 200, body: wave("running", 0) }), () => ({ status: 200, body: wave("running", 1) }), () => ({ status: 200, body: wave("failed", 1) })]);
    const seen: number[] = [];
    const done = await client.rebuilds.waitFor("rw-abc12345", { pollIntervalMs: 1, onProgress: (w) => seen.push(w.counts.succeeded) });
    expect(done.state).toBe("failed");
    expect(seen).toEqual([0, 1]);
  });

  it("events follows one wave's SSE stream and ends after its terminal event", async () => {
    const paths: string[] = [];
    const sse = ["rebuild.started", "rebuild.node.queued", "rebuild.succeeded", "rebuild.started"]
      .map((type, i) => `id: 1700000000000-${i}\nevent: ${type}\ndata: ${JSON.stringify({ type, subject: "rw-abc12345", sequence: i + 1, data: { waveId: "rw-abc12345" } })}\n\n`)
      .join("");
    const fetch: FetchLike = async (input) => {
      paths.push(new URL(input).search);
      return new Response(sse, { status: 200, headers: { "content-type": "text/event-stream" } });
    };
    const client = new BuildfleetClient({ baseUrl: "http://api.test", token: "t", fetch });
    const seen: string[] = [];
    for await (const e of client.rebuilds.events("rw-abc12345")) seen.push(e.type);
    expect(seen).toEqual(["rebuild.started", "rebuild.node.queued", "rebuild.succeeded"]);
    expect(paths).toEqual(["?waveId=rw-abc12345"]);
  });
});
