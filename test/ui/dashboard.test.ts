import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { TokenEntry, hashToken } from "@buildfleet/api";
import { DEV_KUBESIM, FAIL_ON_PURPOSE_SCENARIO, type LocalStack } from "@buildfleet/dev";
import { BuildfleetClient } from "@buildfleet/sdk";
import type { Browser } from "./browser.js";
import { startDashboard, REPO_ROOT, UPDATE_DOCS, type DashboardStack } from "./dashboard-stack.js";

/**
 * The dashboard in a real browser against the real API + worker + kubesim +
 * Redis: sign-in, live state changes, the log while it runs, cancel, tenant
 * isolation and the CSRF refusal.
 */

const TEAM_B = "bf_test_team_b_token_0123456789";
const READ_ONLY = "bf_test_dev_read_only_0123456789";
const extraTokens = [
  TokenEntry.parse({ tenant: "team-b", tokenSha256: hashToken(TEAM_B), scopes: ["submit", "read", "cancel"], registries: ["registry.internal:5000/team-b"], secrets: ["regcred"] }),
  TokenEntry.parse({ tenant: "dev", tokenSha256: hashToken(READ_ONLY), scopes: ["read"] }),
];

const request = (repo: string, tag: string) => ({
  context: { type: "inline", files: {} },
  dockerfile: { inline: "FROM busybox:1.37\n" },
  destinations: [`registry.internal:5000/${repo}:${tag}`],
  labels: { suite: "dashboard" },
});

let stack: LocalStack;
let dev: BuildfleetClient;
let browser: Browser;
let page: Page;
let cspViolations: string[];
let ui: DashboardStack;

const shot = (name: string): Promise<void> => ui.shot(name);

async function attributes(locator: Locator, name: string): Promise<(string | null)[]> {
  return Promise.all((await locator.all()).map((l) => l.getAttribute(name)));
}

async function adminCall(path: string): Promise<void> {
  const res = await fetch(`${stack.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${stack.token}` } });
  expect(res.status).toBe(200);
}

const signIn = (token: string): Promise<void> => ui.signIn(token);

beforeAll(async () => {
  ui = await startDashboard({
    name: "ui",
    extraTokens,
    // A build runs about ten seconds (long enough to open its log while it runs);
    // one under /slow/ runs for minutes (to be cancelled).
    kubesim: {
        ...DEV_KUBESIM,
        defaultRunMs: 200_000,
        scenario: { rules: [{ name: "slow", match: { args: "--destination=[^ ]*/slow/" }, attempts: [{ succeed: { afterMs: 3_600_000 } }] }, ...FAIL_ON_PURPOSE_SCENARIO.rules] },
      },
  });
  ({ stack, dev, browser, page, cspViolations } = ui);
}, 120_000);

afterAll(async () => {
  await ui?.stop();
});

describe("the dashboard in chromium", () => {
  let finishedId = "";

  it("signs in with a token and keeps it out of the page: only an HttpOnly cookie", async () => {
    await signIn(stack.token);
    const cookies = await browser.context.cookies(stack.url);
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }))).toEqual([
      { name: "buildfleet_session", httpOnly: true, sameSite: "Strict" },
    ]);
    // Page-side code is given as strings: this program has no DOM types.
    expect(await page.evaluate("document.cookie")).toBe("");
    expect(await page.evaluate("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })")).not.toContain(stack.token);
    await expect.poll(() => page.locator(".who").getAttribute("data-tenant")).toBe("dev");
    const res = await page.request.get(stack.uiUrl);
    expect(res.headers()["content-security-policy"]).toMatch(/script-src 'self'/);
    expect(res.headers()["content-security-policy"]).not.toMatch(/unsafe-inline/);
  });

  it("shows a submitted build go queued → running → succeeded without reloading", async () => {
    // Paused from the queue page (with its confirmation), so the build is seen queued.
    await page.getByRole("link", { name: "Queue", exact: true }).click();
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("button", { name: "Yes, pause" }).click();
    await page.locator("[data-paused=true]").waitFor();
    await shot("queue");

    await page.getByRole("link", { name: "Builds", exact: true }).click();
    await page.locator(".live.on").waitFor();
    // A marker that a reload would lose, and a recorder of every state the row shows.
    await page.evaluate(`(() => {
      window.noReload = true;
      window.seen = [];
      new MutationObserver(() => {
        const s = document.querySelector("tr[data-build-id] [data-state]")?.getAttribute("data-state");
        if (s && window.seen.at(-1) !== s) window.seen.push(s);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    const { id } = await dev.submit(request("dashboard/app", "v1"));
    finishedId = id;
    const row = page.locator(`tr[data-build-id="${id}"]`);
    await row.locator("[data-state=queued]").waitFor();
    await shot("builds");
    await adminCall("/v1/queue/resume");
    await row.locator("[data-state=running]").waitFor({ timeout: 30_000 });
    await row.locator("[data-state=succeeded]").waitFor({ timeout: 60_000 });
    const seen = await page.evaluate<string[]>("window.seen");
    expect(seen.filter((s) => ["queued", "running", "succeeded"].includes(s))).toEqual(["queued", "running", "succeeded"]);
    expect(await page.evaluate("window.noReload")).toBe(true);
  });

  it("opens a build's log while it runs and follows it to the end", async () => {
    const { id } = await dev.submit(request("dashboard/app", "v2"));
    await page.getByRole("link", { name: "Builds", exact: true }).click();
    await page.locator(`tr[data-build-id="${id}"] a`).click();
    await page.locator("#build-title", { hasText: id }).waitFor();
    // Log lines while the badge still says running: the follow is live, not a read after the end.
    // (The page's CSP forbids string evaluation, so this polls from here: running before and after the log read.)
    const badge = page.locator("#build-title + [data-state]");
    await expect
      .poll(
        async () => {
          const before = await badge.getAttribute("data-state");
          const log = (await page.locator("pre.log").textContent()) ?? "";
          const after = await badge.getAttribute("data-state");
          return before === "running" && after === "running" && /INFO\[/.test(log);
        },
        { timeout: 40_000, interval: 100 },
      )
      .toBe(true);
    await shot("build-running");
    await page.locator("#build-title + [data-state=succeeded]").waitFor({ timeout: 60_000 });
    await page.locator("[data-follow=ended]").waitFor({ timeout: 20_000 });
    const digest = (await dev.get(id)).digest ?? "";
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await expect.poll(() => page.locator("[data-digest]").textContent()).toBe(digest);
    await page.getByRole("button", { name: "Copy the image digest" }).click();
    await page.getByText("Copied").waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(digest);
    expect(await attributes(page.locator(".timeline li"), "data-type")).toEqual(
      expect.arrayContaining(["build.queued", "build.started", "build.running", "build.succeeded"]),
    );
    expect(await page.locator("pre.yaml").textContent()).toContain("registry.internal:5000/dashboard/app:v2");
    await page.evaluate("window.scrollTo(0, 0)");
    await shot("build");
    if (UPDATE_DOCS) await page.screenshot({ path: join(REPO_ROOT, "docs/dashboard.png") });

    // Retry: the same request as a new build, and the page moves to it.
    await page.getByRole("button", { name: "Retry" }).click();
    await page.getByRole("button", { name: "Yes, retry" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/ui/builds/") && !url.pathname.endsWith(id));
    const retried = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1) ?? "");
    expect((await dev.get(retried)).request.destinations).toEqual(["registry.internal:5000/dashboard/app:v2"]);
    await page.locator("#build-title", { hasText: retried }).waitFor();
  });

  it("resumes the queue from the queue page after a confirmation", async () => {
    await page.getByRole("link", { name: "Queue", exact: true }).click();
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("button", { name: "Keep" }).click();
    expect(await page.locator("[data-paused=false]").count()).toBe(1);
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("button", { name: "Yes, pause" }).click();
    await page.locator("[data-paused=true]").waitFor();
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Yes, resume" }).click();
    await page.locator("[data-paused=false]").waitFor();
    expect((await (await fetch(`${stack.url}/v1/queue`, { headers: { authorization: `Bearer ${stack.token}` } })).json()) as { paused: boolean }).toMatchObject({ paused: false });
  });

  it("cancels a running build after a confirmation", async () => {
    const { id } = await dev.submit(request("slow/app", "v1"));
    await page.goto(`${stack.uiUrl}builds/${id}`);
    await page.locator("#build-title + [data-state=running]").waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Cancel build" }).click();
    await page.getByRole("button", { name: "Yes, cancel" }).click();
    await page.locator("#build-title + [data-state=cancelled]").waitFor({ timeout: 30_000 });
    expect((await dev.get(id)).state).toBe("cancelled");
    await page.locator(".timeline li[data-type='build.cancelled']").waitFor();
  });

  it("shows a tenant only its own builds", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    expect(await browser.context.cookies(stack.url)).toEqual([]);
    const teamB = new BuildfleetClient({ baseUrl: stack.url, token: TEAM_B });
    const own = await teamB.submit(request("team-b/app", "v1"));
    await signIn(TEAM_B);
    await page.locator(`tr[data-build-id="${own.id}"]`).waitFor();
    const ids = await attributes(page.locator("tr[data-build-id]"), "data-build-id");
    expect(ids).toEqual([own.id]);
    // No queue page for a non-admin, and another tenant's build is not found, even by its URL.
    expect(await page.getByRole("link", { name: "Queue", exact: true }).count()).toBe(0);
    await page.goto(`${stack.uiUrl}builds/${finishedId}`);
    await page.getByText(`Build ${finishedId} not found.`).waitFor();
  });

  it("refuses a state-changing call without the CSRF header, and a read-only session's cancel", async () => {
    const teamB = new BuildfleetClient({ baseUrl: stack.url, token: TEAM_B });
    const { id } = await teamB.submit(request("team-b/app", "v2"));
    const status = await page.evaluate(async (buildId) => (await fetch(`/v1/builds/${buildId}/cancel`, { method: "POST" })).status, id);
    expect(status).toBe(403);
    expect((await teamB.get(id)).state).not.toBe("cancelled");

    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(READ_ONLY);
    const slow = await dev.submit(request("slow/app", "v2"));
    await page.goto(`${stack.uiUrl}builds/${slow.id}`);
    await page.locator("#build-title", { hasText: slow.id }).waitFor();
    expect(await page.getByRole("button", { name: "Cancel build" }).count()).toBe(0);
    // Even with the CSRF header, the session has only the token's scopes.
    const refused = await page.evaluate(async (buildId) => {
      const session = (await (await fetch("/ui/session")).json()) as { csrfToken: string };
      const res = await fetch(`/v1/builds/${buildId}/cancel`, { method: "POST", headers: { "x-csrf-token": session.csrfToken } });
      return res.status;
    }, slow.id);
    expect(refused).toBe(403);
    await dev.cancel(slow.id);
  });

  it("fits a phone's width and reaches sign-in by keyboard", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("link", { name: "Builds", exact: true }).click();
    await page.locator("tr[data-build-id]").first().waitFor();
    await shot("builds-phone");
    // The table scrolls inside its own box; the page itself never scrolls sideways.
    expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    await shot("sign-in-phone");
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.id")).toBe("token");
    await page.keyboard.type(stack.token);
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("ran every page under the strict CSP without a violation", () => {
    expect(cspViolations).toEqual([]);
  });
});
