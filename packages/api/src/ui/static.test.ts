import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, loadUiAssets, resolveUiPath } from "./static.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function builtUi(): string {
  const dir = mkdtempSync(join(tmpdir(), "ui-"));
  dirs.push(dir);
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>buildfleet</title>");
  writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");
  writeFileSync(join(dir, "favicon.svg"), "<svg/>");
  return dir;
}

describe("dashboard static files", () => {
  it("serves hashed assets as immutable and the page as revalidated", () => {
    const assets = loadUiAssets(builtUi());
    expect(resolveUiPath(assets, "/ui/assets/index-abc123.js")).toMatchObject({ immutable: true, type: "text/javascript; charset=utf-8" });
    expect(resolveUiPath(assets, "/ui/")).toMatchObject({ immutable: false, type: "text/html; charset=utf-8" });
    expect(resolveUiPath(assets, "/ui")).toBe(resolveUiPath(assets, "/ui/"));
  });

  it("answers a page route with index.html, a missing asset with nothing", () => {
    const assets = loadUiAssets(builtUi());
    const index = assets.get("index.html");
    expect(resolveUiPath(assets, "/ui/builds/01HZZZ")).toBe(index);
    expect(resolveUiPath(assets, "/ui/queue")).toBe(index);
    expect(resolveUiPath(assets, "/ui/assets/index-old.js")).toBeUndefined();
    expect(resolveUiPath(assets, "/ui/missing.png")).toBeUndefined();
  });

  it("never maps a URL outside the built files", () => {
    const assets = loadUiAssets(builtUi());
    expect(resolveUiPath(assets, "/ui/../../etc/passwd")).toBeUndefined();
    expect(resolveUiPath(assets, "/ui/assets/../../package.json")).toBeUndefined();
  });

  it("loads nothing from a directory without index.html", () => {
    expect(loadUiAssets(join(tmpdir(), "no-such-ui-dir")).size).toBe(0);
  });

  it("allows no inline script or style and no other origin", () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self'/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/frame-ancestors 'none'/);
  });
});
