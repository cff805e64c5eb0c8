import type http from "node:http";
import https from "node:https";
import { afterEach, describe, expect, it } from "vitest";
import { createAgentPool, sameTlsMaterial, tlsMaterialOf, type AgentPool } from "./agent-pool.js";

const pools: AgentPool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

/** http.Agent keeps its options too; only https.Agent's typings say so. */
const optionsOf = (agent: http.Agent): https.AgentOptions => (agent as https.Agent).options;

function pool(): AgentPool {
  const p = createAgentPool({ keepAlive: true, maxSockets: 8, idleSocketMs: 30_000 });
  pools.push(p);
  return p;
}

describe("TLS material", () => {
  it("keeps only the TLS keys the kubeconfig set", () => {
    const opts = { ca: Buffer.from("ca"), rejectUnauthorized: undefined, headers: { Authorization: "Bearer t" }, servername: "api" };
    expect(tlsMaterialOf(opts)).toEqual({ ca: Buffer.from("ca"), servername: "api" });
  });

  it("compares buffers by content, so re-read files do not count as a change", () => {
    const a = tlsMaterialOf({ ca: Buffer.from("ca"), cert: Buffer.from("c"), key: Buffer.from("k") });
    expect(sameTlsMaterial(a, tlsMaterialOf({ ca: Buffer.from("ca"), cert: Buffer.from("c"), key: Buffer.from("k") }))).toBe(true);
    expect(sameTlsMaterial(a, tlsMaterialOf({ ca: Buffer.from("ca"), cert: Buffer.from("c2"), key: Buffer.from("k") }))).toBe(false);
    expect(sameTlsMaterial(a, tlsMaterialOf({ ca: Buffer.from("ca"), cert: Buffer.from("c") }))).toBe(false);
    expect(sameTlsMaterial({ rejectUnauthorized: false }, {})).toBe(false);
    expect(sameTlsMaterial({ ca: [Buffer.from("a"), "b"] }, { ca: [Buffer.from("a"), "b"] })).toBe(true);
  });
});

describe("createAgentPool", () => {
  it("hands out one keep-alive agent while the material stays the same", () => {
    const p = pool();
    const a = p.acquire("https:", { ca: Buffer.from("ca") });
    const b = p.acquire("https:", { ca: Buffer.from("ca") });
    expect(b.agent).toBe(a.agent);
    expect(a.agent).toBeInstanceOf(https.Agent);
    expect(optionsOf(a.agent)).toMatchObject({ keepAlive: true, maxSockets: 8, maxFreeSockets: 8, ca: Buffer.from("ca") });
  });

  it("builds a new agent when the material or the protocol changes", () => {
    const p = pool();
    const first = p.acquire("https:", { ca: Buffer.from("ca") });
    const rotated = p.acquire("https:", { ca: Buffer.from("ca2") });
    const plain = p.acquire("http:", {});
    expect(rotated.agent).not.toBe(first.agent);
    expect(optionsOf(rotated.agent)).toMatchObject({ ca: Buffer.from("ca2") });
    expect(plain.agent).not.toBe(rotated.agent);
    expect(plain.agent).not.toBeInstanceOf(https.Agent);
  });
});

describe("createAgentPool for streams", () => {
  it("gives watches their own connections: no keep-alive, no socket bound, no idle timeout, same TLS material", () => {
    const p = createAgentPool({ keepAlive: false });
    pools.push(p);
    const lease = p.acquire("https:", { ca: Buffer.from("ca"), rejectUnauthorized: false });
    const opts = optionsOf(lease.agent);
    expect(opts).toMatchObject({ keepAlive: false, ca: Buffer.from("ca"), rejectUnauthorized: false });
    expect(opts.timeout).toBeUndefined();
    expect(lease.agent.maxSockets).toBe(Infinity);
  });
});
