import { describe, expect, it } from "vitest";
import { eventMatches, selectorMatches } from "./schemas.js";
import { targetAddressProblem, targetUrlProblem } from "./target.js";

const STRICT = { allowHttp: false, allowedHosts: [] };

describe("targetUrlProblem", () => {
  it("wants https, no credentials, unless http is allowed", () => {
    expect(targetUrlProblem("https://hooks.example.com/x", STRICT)).toBeUndefined();
    expect(targetUrlProblem("http://hooks.example.com/x", STRICT)).toMatch(/BUILDFLEET_WEBHOOKS_ALLOW_HTTP/);
    expect(targetUrlProblem("http://hooks.example.com/x", { ...STRICT, allowHttp: true })).toBeUndefined();
    expect(targetUrlProblem("ftp://hooks.example.com/x", { ...STRICT, allowHttp: true })).toMatch(/https/);
    expect(targetUrlProblem("https://u:p@hooks.example.com/", STRICT)).toMatch(/user name or password/);
  });
});

describe("targetAddressProblem", () => {
  it("refuses loopback, private and link-local addresses unless the host is allowed", () => {
    for (const a of ["127.0.0.1", "10.0.0.5", "192.168.1.1", "172.16.0.1", "::1", "fe80::1", "::ffff:127.0.0.1"]) {
      expect(targetAddressProblem("hooks.internal", a, STRICT), a).toMatch(/loopback, private or link-local/);
    }
    expect(targetAddressProblem("hooks.internal", "10.0.0.5", { ...STRICT, allowedHosts: ["*.internal"] })).toBeUndefined();
    expect(targetAddressProblem("93.184.216.34", "93.184.216.34", STRICT)).toBeUndefined();
  });

  it("never admits a cloud metadata address, even when listed", () => {
    expect(targetAddressProblem("meta", "169.254.169.254", { ...STRICT, allowedHosts: ["meta", "169.254.169.254"] })).toMatch(/metadata/);
  });
});

describe("eventMatches and selectorMatches", () => {
  it("matches exact types, families and *", () => {
    expect(eventMatches(["build.succeeded"], "build.succeeded")).toBe(true);
    expect(eventMatches(["build.succeeded"], "build.failed")).toBe(false);
    expect(eventMatches(["build.*"], "build.failed")).toBe(true);
    expect(eventMatches(["rebuild.*"], "build.failed")).toBe(false);
    expect(eventMatches(["*"], "rebuild.wave.done")).toBe(true);
  });

  it("selects a build only when every selector label matches", () => {
    expect(selectorMatches(undefined, {})).toBe(true);
    expect(selectorMatches({ team: "payments" }, { team: "payments", env: "prod" })).toBe(true);
    expect(selectorMatches({ team: "payments", env: "dev" }, { team: "payments", env: "prod" })).toBe(false);
  });
});
