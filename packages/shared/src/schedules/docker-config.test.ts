import { describe, expect, it } from "vitest";
import { credentialsFromSecretData } from "./docker-config.js";

const data = (config: unknown) => ({ ".dockerconfigjson": Buffer.from(JSON.stringify(config)).toString("base64") });

describe("credentialsFromSecretData", () => {
  it("reads username/password or the auth pair for the registry host", () => {
    expect(credentialsFromSecretData(data({ auths: { "registry.internal:5000": { username: "u", password: "p" } } }), "registry.internal:5000")).toEqual({ ok: true, credentials: { username: "u", password: "p" } });
    const auth = Buffer.from("bot:s3:cret").toString("base64");
    expect(credentialsFromSecretData(data({ auths: { "https://ghcr.io": { auth } } }), "ghcr.io")).toEqual({ ok: true, credentials: { username: "bot", password: "s3:cret" } });
  });

  it("finds Docker Hub under the legacy index key, and nothing for a registry it does not name", () => {
    const hub = data({ auths: { "https://index.docker.io/v1/": { username: "u", password: "p" } } });
    expect(credentialsFromSecretData(hub, "docker.io")).toEqual({ ok: true, credentials: { username: "u", password: "p" } });
    expect(credentialsFromSecretData(hub, "quay.io")).toEqual({ ok: true, credentials: undefined });
  });

  it("refuses a Secret that is not a docker config", () => {
    expect(credentialsFromSecretData({ token: "x" }, "quay.io")).toMatchObject({ ok: false });
    expect(credentialsFromSecretData({ ".dockerconfigjson": Buffer.from("nope").toString("base64") }, "quay.io")).toMatchObject({ ok: false });
  });
});
