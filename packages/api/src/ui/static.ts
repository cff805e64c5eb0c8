import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { NotFoundError } from "@buildfleet/contract";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * The dashboard's built assets (packages/web/dist), read into memory once: a
 * handful of small files, so no per-request file system access and no path
 * from a URL ever reaches the file system. Vite names assets by content hash,
 * so they are cached for a year; index.html is revalidated on every load.
 */

/** packages/web/dist, from src/ui or dist/ui of this package alike. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL("../../../web/dist", import.meta.url));

/**
 * No inline script or style, no eval, nothing from another origin. The page
 * talks only to this API (fetch and EventSource are connect-src).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

export interface UiAsset {
  body: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** Every file under `dir` by its URL path below /ui/ ("index.html", "assets/index-abc.js"). */
export function loadUiAssets(dir: string): Map<string, UiAsset> {
  const assets = new Map<string, UiAsset>();
  if (!existsSync(join(dir, "index.html"))) return assets;
  for (const path of listFiles(dir)) {
    const urlPath = relative(dir, path).split(sep).join("/");
    const body = readFileSync(path);
    assets.set(urlPath, {
      body,
      type: TYPES[extname(path)] ?? "application/octet-stream",
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
      immutable: urlPath.startsWith("assets/"),
    });
  }
  return assets;
}

/** The asset a /ui path answers with: the file, or index.html for a page route (SPA fallback). */
export function resolveUiPath(assets: ReadonlyMap<string, UiAsset>, path: string): UiAsset | undefined {
  const rest = path.replace(/^\/ui\/?/, "");
  if (rest.split("/").includes("..")) return undefined;
  const file = assets.get(rest === "" ? "index.html" : rest);
  if (file) return file;
  // A missing hashed asset or file-like path is a 404, not the page (a stale tab would parse HTML as JS).
  if (rest.startsWith("assets/") || /\.[A-Za-z0-9]+$/.test(rest)) return undefined;
  return assets.get("index.html");
}

export function setSecurityHeaders(reply: FastifyReply): void {
  void reply.headers({
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
  });
}

export function registerUiStatic(app: FastifyInstance, dir: string): void {
  const assets = loadUiAssets(dir);
  const serve = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const path = request.url.split("?")[0] ?? "";
    if (assets.size === 0) {
      throw new NotFoundError(`the dashboard is not built (no ${join(dir, "index.html")}); run pnpm build`);
    }
    const asset = resolveUiPath(assets, path);
    if (!asset) throw new NotFoundError(`no dashboard file ${path}`);
    setSecurityHeaders(reply);
    void reply
      .type(asset.type)
      .header("etag", asset.etag)
      .header("cache-control", asset.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
    return reply.send(asset.body);
  };
  app.get("/ui", serve);
  app.get("/ui/*", serve);
}
