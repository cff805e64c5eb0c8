// Raw HTTP against kubesim: Table output, protobuf never sent, pod logs,
// fault injection, dropped watches and restarts.
import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startKubeSim, type KubeSim } from "../start.js";
import type { LogSource } from "../store/types.js";
import { buildJob, noopControlPlane, waitFor } from "../test-support/wait.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

let sim: KubeSim;
const followers = { open: 0 };
const logLines = ["pulling base image", "step 1/2", "step 2/2", "pushing registry.local/team/app:v1"];
const fakeLogs: LogSource = {
  read: (_ns, _pod, _container, opts) => {
    const lines = opts.tailLines !== undefined ? logLines.slice(-opts.tailLines) : logLines;
    return lines.map((l) => `${l}\n`).join("");
  },
  follow: (_ns, _pod, container, onLine, onEnd) => {
    if (container === "side") {
      // A container that keeps running: the stream only ends when the client leaves.
      onLine("side running");
      followers.open += 1;
      return () => {
        followers.open -= 1;
      };
    }
    const timer = setImmediate(() => {
      onLine("done");
      onEnd();
    });
    return () => clearImmediate(timer);
  },
};

beforeEach(async () => {
  sim = await startKubeSim({ controlPlane: () => noopControlPlane(fakeLogs) });
});

afterEach(async () => {
  await sim.close();
});

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // agent: false: a restart cuts pooled sockets, and this helper must not reuse a dead one.
    const req = request(`${sim.url}${path}`, { method, agent: false, headers: { "Content-Type": "application/json", ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

const JOBS = "/apis/batch/v1/namespaces/default/jobs";

describe("kubectl-facing output", () => {
  it("answers Table requests with the real Job columns", async () => {
    await call("POST", JOBS, buildJob("t1"));
    const reply = await call("GET", JOBS, undefined, { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" });
    const table = reply.json() as { kind: string; columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[]; object: { kind: string } }> };
    expect(table.kind).toBe("Table");
    expect(table.columnDefinitions.map((c) => c.name).slice(0, 5)).toEqual(["Name", "Status", "Completions", "Duration", "Age"]);
    expect(table.rows[0]?.cells.slice(0, 3)).toEqual(["t1", "Running", "0/1"]);
    expect(table.rows[0]?.object.kind).toBe("PartialObjectMetadata");
  });

  it("sends one-row Tables on a watch with the Table Accept header, as kubectl get -w expects", async () => {
    await call("POST", JOBS, buildJob("tw"));
    const reply = await call("GET", `${JOBS}?watch=true&timeoutSeconds=1`, undefined, { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io" });
    const event = JSON.parse(reply.text.split("\n")[0] ?? "") as { type: string; object: { kind: string; rows: Array<{ cells: unknown[] }> } };
    expect(event.type).toBe("ADDED");
    expect(event.object.kind).toBe("Table");
    expect(event.object.rows[0]?.cells[0]).toBe("tw");
  });

  it("answers JSON even when protobuf is preferred", async () => {
    const reply = await call("GET", "/api/v1/namespaces", undefined, { Accept: "application/vnd.kubernetes.protobuf,application/json" });
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.json().kind).toBe("NamespaceList");
  });

  it("leaves kind and apiVersion out of list items, like a real server", async () => {
    await call("POST", JOBS, buildJob("li"));
    const list = (await call("GET", JOBS)).json() as { kind: string; apiVersion: string; items: Array<Record<string, unknown>> };
    expect([list.kind, list.apiVersion]).toEqual(["JobList", "batch/v1"]);
    expect(list.items[0]).not.toHaveProperty("kind");
    expect(list.items[0]).not.toHaveProperty("apiVersion");
    expect((list.items[0]?.metadata as { name: string }).name).toBe("li");
  });

  it("validates but stores nothing for dryRun=All, and rejects other dryRun values", async () => {
    const dry = await call("POST", `${JOBS}?dryRun=All`, buildJob("dry"));
    expect(dry.status).toBe(201);
    expect((await call("GET", `${JOBS}/dry`)).status).toBe(404);
    expect((await call("POST", `${JOBS}?dryRun=All`, buildJob("d".repeat(64)))).status).toBe(422);
    expect((await call("POST", `${JOBS}?dryRun=Some`, buildJob("dry"))).status).toBe(400);
    await call("POST", JOBS, buildJob("kept"));
    const patched = await call("PATCH", `${JOBS}/kept?dryRun=All`, { metadata: { labels: { x: "1" } } }, { "Content-Type": "application/merge-patch+json" });
    expect((patched.json().metadata as { labels: Record<string, string> }).labels.x).toBe("1");
    expect(((await call("GET", `${JOBS}/kept`)).json().metadata as { labels?: Record<string, string> }).labels?.x).toBeUndefined();
    expect((await call("DELETE", `${JOBS}/kept?dryRun=All`)).status).toBe(200);
    expect((await call("GET", `${JOBS}/kept`)).status).toBe(200);
  });

  it("serves discovery for core and batch", async () => {
    const core = (await call("GET", "/api/v1")).json() as { resources: Array<{ name: string }> };
    expect(core.resources.map((r) => r.name)).toEqual(expect.arrayContaining(["pods", "pods/log", "pods/status", "secrets", "configmaps", "events", "namespaces"]));
    const batch = (await call("GET", "/apis/batch/v1")).json() as { resources: Array<{ name: string }> };
    expect(batch.resources.map((r) => r.name)).toEqual(["jobs", "jobs/status"]);
    expect((await call("GET", "/apis/apps/v1beta1/deployments")).status).toBe(404);
    expect((await call("GET", "/apis/autoscaling/v2/horizontalpodautoscalers")).status).toBe(404);
  });
});

describe("pod logs", () => {
  beforeEach(async () => {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "kaniko", image: "x:1" }, { name: "side", image: "y:1" }] } };
    expect((await call("POST", "/api/v1/namespaces/default/pods", pod)).status).toBe(201);
  });

  it("serves the container log with tailLines", async () => {
    const reply = await call("GET", "/api/v1/namespaces/default/pods/p/log?container=kaniko&tailLines=1");
    expect(reply.status).toBe(200);
    expect(reply.text).toBe("pushing registry.local/team/app:v1\n");
  });

  it("asks for a container name on a multi-container pod, like the real server", async () => {
    const reply = await call("GET", "/api/v1/namespaces/default/pods/p/log");
    expect(reply.status).toBe(400);
    expect(reply.json().message).toBe("a container name must be specified for pod p, choose one of: [kaniko side]");
  });

  it("stops following when the client goes away", async () => {
    let received = "";
    const req = request(`${sim.url}/api/v1/namespaces/default/pods/p/log?container=side&follow=true`, { agent: false }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (c: string) => (received += c));
      res.on("error", () => undefined);
    });
    req.on("error", () => undefined);
    req.end();
    await waitFor(() => received.includes("side running"), "first followed line");
    expect(followers.open).toBe(1);
    req.destroy();
    await waitFor(() => followers.open === 0, "follow to be unsubscribed");
  });

  it("follows the log until the container ends", async () => {
    const reply = await call("GET", "/api/v1/namespaces/default/pods/p/log?container=kaniko&follow=true");
    expect(reply.text.split("\n").slice(-2)).toEqual(["done", ""]);
  });
});

describe("fault injection", () => {
  it("fails the next N creates with the configured code, then recovers", async () => {
    const put = await call("PUT", "/kubesim/v1/faults", { verbs: { create: { failNext: 2, code: 503 } } });
    expect(put.status).toBe(200);
    const codes: number[] = [];
    for (let i = 0; i < 3; i += 1) codes.push((await call("POST", JOBS, buildJob(`f${i}`))).status);
    expect(codes).toEqual([503, 503, 201]);
  });

  it("fails at the configured rate, deterministically per seed", async () => {
    const run = async () => {
      sim.control.setFaults({ seed: 7, verbs: { list: { errorRate: 0.5 } } });
      const out: number[] = [];
      for (let i = 0; i < 20; i += 1) out.push((await call("GET", JOBS)).status);
      return out;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
    const failed = await (async () => {
      sim.control.setFaults({ verbs: { list: { failNext: 1 } } });
      return (await call("GET", JOBS)).json();
    })();
    expect(failed).toMatchObject({ kind: "Status", code: 500, reason: "InternalError" });
  });

  it("answers 429 TooManyRequests with Retry-After", async () => {
    sim.control.setFaults({ verbs: { "*": { failNext: 1, code: 429, retryAfterSeconds: 3 } } });
    const reply = await call("GET", JOBS);
    expect(reply.status).toBe(429);
    expect(reply.headers["retry-after"]).toBe("3");
    expect(reply.json()).toMatchObject({ reason: "TooManyRequests", details: { retryAfterSeconds: 3 } });
  });

  it("adds latency to the configured verb only", async () => {
    sim.control.setFaults({ verbs: { get: { latencyMs: 2_000 } } });
    await call("POST", JOBS, buildJob("slow"));
    // Observable outcome, not a timing assertion: a GET still in flight while a LIST completes.
    let getDone = false;
    const get = call("GET", `${JOBS}/slow`).then((r) => {
      getDone = true;
      return r;
    });
    expect((await call("GET", JOBS)).status).toBe(200);
    expect(getDone).toBe(false);
    expect((await get).status).toBe(200);
  });

  it("drops open watches and forces 410 on the next watch through the control endpoints", async () => {
    let ended = false;
    const stream = request(`${sim.url}${JOBS}?watch=true`, (res) => {
      res.resume();
      res.on("end", () => (ended = true));
    });
    stream.end();
    await waitFor(() => sim.control.openWatches() === 1, "watch registered");
    const drop = await call("POST", "/kubesim/v1/watches/drop");
    expect(drop.json()).toEqual({ dropped: 1 });
    await waitFor(() => ended, "watch stream ended");
    await call("POST", "/kubesim/v1/watches/expire-next", { count: 1 });
    const expired = await call("GET", `${JOBS}?watch=1&resourceVersion=1`);
    const event = JSON.parse(expired.text.trim()) as { type: string; object: { code: number; reason: string } };
    expect(event).toMatchObject({ type: "ERROR", object: { code: 410, reason: "Expired" } });
  });

  it("restarts keeping state, or losing it with resourceVersion still increasing", async () => {
    await call("POST", JOBS, buildJob("keep"));
    const rvBefore = sim.control.store.currentResourceVersion();
    expect((await call("POST", "/kubesim/v1/restart", { keepState: true })).status).toBe(202);
    await waitFor(async () => (await call("GET", `${JOBS}/keep`).catch(() => undefined))?.status === 200, "job after restart");
    await sim.control.restart({ keepState: false });
    expect((await call("GET", `${JOBS}/keep`)).status).toBe(404);
    expect((await call("GET", "/api/v1/namespaces/default")).status).toBe(200);
    const created = (await call("POST", JOBS, buildJob("after"))).json() as { metadata: { resourceVersion: string } };
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(rvBefore);
  });

  it("delegates scenario rules to the control plane", async () => {
    await call("PUT", "/kubesim/v1/scenario", [{ match: { image: "x" } }]);
    expect((await call("GET", "/kubesim/v1/scenario")).json()).toEqual([{ match: { image: "x" } }]);
    expect((await call("PUT", "/kubesim/v1/faults", { verbs: { create: { bogus: 1 } } })).status).toBe(422);
  });
});
