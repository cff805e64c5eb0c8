import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

describe("main.ts", () => {
  const redis = useRedis();

  it("starts from the environment and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", MAIN], {
      env: { ...process.env, REDIS_URL: redis.url, BUILDFLEET_PREFIX: redis.prefix, API_HOST: "127.0.0.1", API_PORT: "0", LOG_LEVEL: "info", BUILDFLEET_TOKENS: "[]" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    redis.track({ close: async () => void child.kill("SIGKILL") });
    let out = "";
    const listening = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "API listening" line within 20 s:\n${out}`)), 20_000);
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"API listening"/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const url = await listening;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });

  it("exits 1 naming a bad variable", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", MAIN], {
      env: { ...process.env, API_PORT: "not-a-port" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    redis.track({ close: async () => void child.kill("SIGKILL") });
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(err).toContain("API_PORT");
  });
});
