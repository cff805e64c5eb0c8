import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { TOKENS, startHarness, type ApiHarness } from "../test-support/harness.js";

const REGISTRY = "registry.internal:5000/team-a";

function imageDoc(name: string, from: string, labels: Record<string, string> = { team: "platform" }) {
  return {
    apiVersion: "buildfleet.dev/v1",
    kind: "Image",
    metadata: { name, labels },
    spec: { build: { context: { type: "inline", files: {} }, dockerfile: { inline: `FROM ${from}\nRUN true\n` }, destinations: [`${REGISTRY}/${name}:v1`] } },
  };
}

const put = (h: ApiHarness, doc: { metadata: { name: string } }, token: string = TOKENS.teamA) =>
  h.inject(token, { method: "PUT", url: `/v1/images/${doc.metadata.name}`, payload: doc });

describe("/v1/images", () => {
  const redis = useRedis();

  it("answers created, then unchanged, then configured", async () => {
    const h = await startHarness(redis);
    const doc = imageDoc("base", "busybox:latest");

    const first = await put(h, doc);
    const again = await put(h, doc);
    const changed = await put(h, imageDoc("base", "busybox:1.36"));

    expect([first.statusCode, first.json<{ result: string }>().result]).toEqual([201, "created"]);
    expect([again.statusCode, again.json<{ result: string }>().result]).toEqual([200, "unchanged"]);
    expect([changed.statusCode, changed.json<{ result: string }>().result]).toEqual([200, "configured"]);
    const got = await h.inject(TOKENS.readOnly, { method: "GET", url: "/v1/images/base" });
    expect(got.json()).toMatchObject({ status: { generation: 2, bases: { state: "resolved", bases: [{ reference: "docker.io/library/busybox:1.36" }] } } });
  });

  it("refuses an apply that would close a cycle with 422 naming it, and stores nothing", async () => {
    const h = await startHarness(redis);
    expect((await put(h, imageDoc("a", `${REGISTRY}/b:v1`))).statusCode).toBe(201);
    expect((await put(h, imageDoc("b", `${REGISTRY}/c:v1`))).statusCode).toBe(201);

    const res = await put(h, imageDoc("c", `${REGISTRY}/a:v1`));

    expect(res.statusCode).toBe(422);
    expect(res.json<{ error: { message: string } }>().error.message).toContain("c → b → a → c");
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/images/c" })).statusCode).toBe(404);
  });

  it("refuses an unknown field, a bad reference and a bad name naming the field", async () => {
    const h = await startHarness(redis);
    const unknown = await put(h, { ...imageDoc("x", "busybox"), spec: { ...imageDoc("x", "busybox").spec, extra: 1 } } as never);
    const badBase = await put(h, { ...imageDoc("x", "busybox"), spec: { ...imageDoc("x", "busybox").spec, bases: ["Not A Ref"] } } as never);
    const badName = await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/images/Bad_Name", payload: imageDoc("x", "busybox") });
    const mismatch = await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/images/y", payload: imageDoc("x", "busybox") });

    const paths = (r: typeof unknown) => r.json<{ error: { issues: { path: string }[] } }>().error.issues.map((i) => i.path);
    expect(unknown.statusCode).toBe(400);
    expect(paths(unknown)).toContain("spec.extra");
    expect(badBase.statusCode).toBe(400);
    expect(paths(badBase)).toContain("spec.bases[0]");
    expect(badName.statusCode).toBe(400);
    expect(paths(badName)).toEqual(["name"]);
    expect(paths(mismatch)).toEqual(["metadata.name"]);
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/images" })).json<{ items: unknown[] }>().items).toEqual([]);
  });

  it("refuses an image pushing outside the tenant's registries", async () => {
    const h = await startHarness(redis);
    const doc = imageDoc("base", "busybox");
    doc.spec.build.destinations = ["registry.internal:5000/team-b/base:v1"];
    const res = await put(h, doc);
    expect(res.statusCode).toBe(403);
  });

  it("lists by label, shows parents and dependents, and serves the graph as JSON and DOT", async () => {
    const h = await startHarness(redis);
    await put(h, imageDoc("base", "busybox:latest", { team: "platform" }));
    await put(h, imageDoc("runtime", `${REGISTRY}/base:v1`, { team: "platform" }));
    await put(h, imageDoc("app", `${REGISTRY}/runtime:v1`, { team: "payments" }));

    const list = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/images?label=team=platform" });
    const base = (await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/images/base" })).json<{ status: { dependents: string[]; children: string[] } }>();
    const graph = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/images/graph" });
    const dot = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/images/graph?format=dot" });
    const deps = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/images/graph/dependents?base=${encodeURIComponent(`${REGISTRY}/base:v1`)}` });
    const otherTenant = await h.inject(TOKENS.teamB, { method: "GET", url: "/v1/images" });

    expect(list.json<{ items: { metadata: { name: string } }[] }>().items.map((i) => i.metadata.name)).toEqual(["base", "runtime"]);
    expect(base.status).toMatchObject({ children: ["team-a/runtime"], dependents: ["team-a/runtime", "team-a/app"] });
    expect(graph.json<{ edges: { from: string; to: string }[] }>().edges.map((e) => `${e.from}>${e.to}`)).toEqual(["team-a/runtime>team-a/app", "team-a/base>team-a/runtime"]);
    expect(dot.headers["content-type"]).toContain("text/vnd.graphviz");
    expect(dot.body).toContain('"team-a/base" -> "team-a/runtime";');
    expect(deps.json()).toEqual({ base: `${REGISTRY}/base:v1`, dependents: ["team-a/runtime", "team-a/app"] });
    expect(otherTenant.json()).toEqual({ items: [] });
  });

  it("deletes an image, and answers 404 for one that is not there", async () => {
    const h = await startHarness(redis);
    await put(h, imageDoc("base", "busybox"));
    expect((await h.inject(TOKENS.teamA, { method: "DELETE", url: "/v1/images/base" })).statusCode).toBe(200);
    expect((await h.inject(TOKENS.teamA, { method: "DELETE", url: "/v1/images/base" })).statusCode).toBe(404);
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/images/base" })).statusCode).toBe(404);
  });

  it("stores an Image whose FROM cannot be resolved as unresolved with the reason, and warns about it in a plan", async () => {
    const h = await startHarness(redis);
    await put(h, imageDoc("base", "busybox"));
    const doc = imageDoc("odd", "${NOPE}");
    expect((await put(h, doc)).statusCode).toBe(201);

    const got = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/images/odd" });
    const plan = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/rebuilds", payload: { base: "docker.io/library/busybox:latest", dryRun: true } });

    const bases = got.json<{ status: { bases: { state: string; reason: string } } }>().status.bases;
    expect(bases.state).toBe("unresolved");
    expect(bases.reason).toContain("NOPE");
    expect(plan.json<{ plan: { warnings: string[] } }>().plan.warnings.join("\n")).toContain("team-a/odd");
  });
});
