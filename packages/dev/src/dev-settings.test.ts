import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TokenEntry } from "@buildfleet/api";
import { devTokenEntry, newDevToken, renderDevEnv } from "./dev-settings.js";

describe("dev token", () => {
  it("is random and stored only as its SHA-256, with every scope and the examples' allow-lists", () => {
    const token = newDevToken();
    expect(token).not.toBe(newDevToken());
    const entry = TokenEntry.parse(devTokenEntry(token));
    expect(entry.tokenSha256).toBe(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(entry)).not.toContain(token);
    expect(entry).toMatchObject({ tenant: "dev", scopes: ["submit", "read", "cancel", "admin"], registries: ["registry.internal:5000"], secrets: ["regcred"] });
  });
});

describe("renderDevEnv", () => {
  it("writes shell-safe KEY='value' lines", () => {
    const text = renderDevEnv({ url: "http://127.0.0.1:1", token: "a'b", kubeconfig: "/x/kubeconfig", uiUrl: "http://127.0.0.1:1/ui/" });
    expect(text).toContain("BUILDFLEET_URL='http://127.0.0.1:1'\n");
    expect(text).toContain("BUILDFLEET_TOKEN='a'\\''b'\n");
    expect(text).toContain("KUBECONFIG='/x/kubeconfig'\n");
    expect(text).toContain("BUILDFLEET_UI_URL='http://127.0.0.1:1/ui/'\n");
  });

  it("adds the worker's metrics URL when given", () => {
    const text = renderDevEnv({ url: "http://127.0.0.1:1", token: "t", kubeconfig: "/k", workerMetricsUrl: "http://127.0.0.1:2/metrics" });
    expect(text).toContain("WORKER_METRICS_URL='http://127.0.0.1:2/metrics'\n");
    expect(text).not.toContain("REGISTRY_URL");
  });

  it("adds REGISTRY_URL when the stack builds for real", () => {
    const text = renderDevEnv({ url: "http://127.0.0.1:1", token: "t", kubeconfig: "/k", registryUrl: "http://127.0.0.1:5001" });
    expect(text).toContain("REGISTRY_URL='http://127.0.0.1:5001'\n");
  });
});
