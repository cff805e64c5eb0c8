import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";
import type { Page } from "playwright-core";
import type { TokenEntry } from "@buildfleet/api";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "@buildfleet/dev";
import { BuildfleetClient } from "@buildfleet/sdk";
import { uniquePrefix } from "@buildfleet/testkit";
import { CHROMIUM, launchBrowser, type Browser } from "./browser.js";

/**
 * What every dashboard test file starts: the current web sources built into
 * a directory of this run (not whatever packages/web/dist holds), the local
 * stack serving them at /ui, and chromium with a page that records CSP
 * violations.
 */

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WEB_DIR = join(REPO_ROOT, "packages/web");
/** Every page's screenshot lands here (a test artefact, not committed). */
const ARTIFACTS = process.env["UI_ARTIFACTS_DIR"] ?? join(REPO_ROOT, ".buildfleet/ui-screenshots");
/** UPDATE_SCREENSHOTS=1 also refreshes the README's screenshots under docs/. */
export const UPDATE_DOCS = process.env["UPDATE_SCREENSHOTS"] === "1";

export interface DashboardStack {
  stack: LocalStack;
  /** The SDK with the dev (admin) token. */
  dev: BuildfleetClient;
  browser: Browser;
  page: Page;
  /** Content-Security-Policy violations the page reported. */
  cspViolations: string[];
  /** A full-page screenshot as a test artefact. */
  shot(name: string): Promise<void>;
  /** Signs in on the dashboard with a token and waits for the signed-in page. */
  signIn(token: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startDashboard(options: { name: string; extraTokens: TokenEntry[]; kubesim: LocalStackOptions["kubesim"] }): Promise<DashboardStack> {
  if (!existsSync(CHROMIUM)) throw new Error(`the dashboard tests need Debian's chromium at ${CHROMIUM} (apt-get install chromium)`);
  const stateDir = await mkdtemp(join(tmpdir(), `buildfleet-${options.name}-`));
  await mkdir(ARTIFACTS, { recursive: true });
  const uiDir = join(stateDir, "ui");
  const built = spawnSync(process.execPath, [join(WEB_DIR, "node_modules/vite/bin/vite.js"), "build", "--outDir", uiDir, "--emptyOutDir", "--logLevel", "warn"], {
    cwd: WEB_DIR,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr}`);
  let stack: LocalStack | undefined;
  let browser: Browser | undefined;
  const stop = async (): Promise<void> => {
    await browser?.close();
    await stack?.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    stack = await startLocalStack({
      redisUrl: inject("redisUrl"),
      prefix: uniquePrefix(),
      stateDir,
      writeEnvFile: false,
      logLevel: (process.env["TEST_LOG_LEVEL"] as "silent" | undefined) ?? "silent",
      extraTokens: options.extraTokens,
      ui: { dir: uiDir },
      ...(options.kubesim !== undefined ? { kubesim: options.kubesim } : {}),
    });
    const started = stack;
    browser = await launchBrowser(started.url);
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const cspViolations: string[] = [];
    page.on("console", (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    return {
      stack: started,
      dev: new BuildfleetClient({ baseUrl: started.url, token: started.token }),
      browser,
      page,
      cspViolations,
      shot: async (name) => {
        await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      },
      signIn: async (token) => {
        await page.goto(started.uiUrl);
        await page.getByLabel("API token").fill(token);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByRole("button", { name: "Sign out" }).waitFor();
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
