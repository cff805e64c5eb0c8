import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useRedis } from "@buildfleet/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { startHarness } from "../test-support/harness.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function builtUi(): string {
  const dir = mkdtempSync(join(tmpdir(), "ui-"));
  dirs.push(dir);
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>buildfleet</title>");
  writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");
  return dir;
}

describe("GET /ui", () => {
  const redis = useRedis();

  it("serves hashed assets for a year and the page revalidated, both under the CSP", async () => {
    const h = await startHarness(redis, { ui: { dir: builtUi() } });
    const asset = await h.app.inject({ method: "GET", url: "/ui/assets/index-abc123.js" });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(asset.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    const page = await h.app.inject({ method: "GET", url: "/ui/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.headers["content-security-policy"]).toMatch(/script-src 'self'/);
    expect(page.headers["x-frame-options"]).toBe("DENY");
    const again = await h.app.inject({ method: "GET", url: "/ui/", headers: { "if-none-match": String(page.headers["etag"]) } });
    expect(again.statusCode).toBe(304);
  });

  it("answers a page path with the page, a missing asset with a 404 in the API's error format", async () => {
    const h = await startHarness(redis, { ui: { dir: builtUi() } });
    const deep = await h.app.inject({ method: "GET", url: "/ui/builds/01hzzzzzzzzzzzzzzzzzzzzzzz?x=1" });
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toContain("<title>buildfleet</title>");
    const missing = await h.app.inject({ method: "GET", url: "/ui/assets/index-old.js" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("says to run pnpm build when the dashboard is not built", async () => {
    const h = await startHarness(redis, { ui: { dir: join(tmpdir(), "no-such-ui-build") } });
    const res = await h.app.inject({ method: "GET", url: "/ui/" });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ error: { message: string } }>().error.message).toMatch(/pnpm build/);
  });
});

describe("ui: { enabled: false }", () => {
  const redis = useRedis();

  it("serves no dashboard and no session route, and the API still answers a bearer token", async () => {
    const h = await startHarness(redis, { ui: { enabled: false, dir: builtUi() } });
    expect((await h.app.inject({ method: "GET", url: "/ui/" })).statusCode).toBe(404);
    expect((await h.app.inject({ method: "POST", url: "/ui/session", payload: { token: "x" } })).statusCode).toBe(404);
    expect((await h.submit()).id).toMatch(/^[0-9a-z]+$/);
  });
});
