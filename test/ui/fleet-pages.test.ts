import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { TokenEntry, hashToken } from "@buildfleet/api";
import { DEV_KUBESIM, type LocalStack } from "@buildfleet/dev";
import type { BuildfleetClient } from "@buildfleet/sdk";
import { startDashboard, REPO_ROOT, UPDATE_DOCS, type DashboardStack } from "./dashboard-stack.js";

/**
 * The fleet pages of the dashboard (queue lanes, workers, images and rebuild
 * waves, schedules) in chromium against the real API + worker + kubesim +
 * Redis, and what a read-only token is shown and refused there.
 */

const READ_ONLY = "bf_test_fleet_read_only_0123456789";
const extraTokens = [TokenEntry.parse({ tenant: "dev", tokenSha256: hashToken(READ_ONLY), scopes: ["read"] })];
const REGISTRY = "registry.internal:5000/fleet-ui";

let stack: LocalStack;
let dev: BuildfleetClient;
let page: Page;
let cspViolations: string[];
let ui: DashboardStack;

const shot = (name: string): Promise<void> => ui.shot(name);

/** A call with the dev (admin) token, outside the browser; the parsed answer. */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

const signIn = (token: string): Promise<void> => ui.signIn(token);

async function openNav(name: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
}

/** An Image FROM `from`, pushing to `<REGISTRY>/<name>:v1`. */
const image = (name: string, from: string) => ({
  apiVersion: "buildfleet.dev/v1",
  kind: "Image",
  metadata: { name },
  spec: { build: { context: { type: "inline", files: {} }, dockerfile: { inline: `FROM ${from}\n` }, destinations: [`${REGISTRY}/${name}:v1`] } },
});

beforeAll(async () => {
  ui = await startDashboard({
    name: "ui-fleet",
    extraTokens,
    // About three seconds a build: long enough for the wave page to show each node running.
    kubesim: { ...DEV_KUBESIM, defaultRunMs: 60_000 },
  });
  ({ stack, dev, page, cspViolations } = ui);
}, 120_000);

afterAll(async () => {
  await ui?.stop();
});

describe("the fleet pages in chromium", () => {
  it("shows the queue's lanes, and drains and resumes it after a confirmation", async () => {
    await signIn(stack.token);
    await call("POST", "/v1/queue/pause");
    const bulk = await dev.submit({ context: { type: "inline", files: {} }, dockerfile: { inline: "FROM busybox:1.37\n" }, destinations: [`${REGISTRY}/bulk:v1`], priority: "bulk" });
    await openNav("Queue");
    for (const lane of ["interactive", "normal", "bulk"]) await page.locator(`tr[data-lane=${lane}]`).waitFor();
    await expect.poll(() => page.locator("tr[data-lane=bulk] [data-count=waiting]").textContent(), { timeout: 15_000 }).toBe("1");
    expect(await page.locator("tr[data-lane=interactive] [data-count=waiting]").textContent()).toBe("0");
    await page.locator("[data-queue-state=paused]").waitFor();

    await page.getByRole("button", { name: "Drain" }).click();
    await page.getByRole("button", { name: "Keep" }).click();
    expect(await page.locator("[data-drain]").count()).toBe(0);
    await page.getByRole("button", { name: "Drain" }).click();
    await page.getByRole("button", { name: "Yes, drain" }).click();
    await page.locator("[data-drain]").waitFor();
    expect(await page.locator("[data-queue-state]").getAttribute("data-queue-state")).toMatch(/^drain(ing|ed)$/);
    await shot("queue-lanes");

    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Yes, resume" }).click();
    await page.locator("[data-queue-state='taking builds']").waitFor();
    expect((await call<{ paused: boolean; drain: unknown }>("GET", "/v1/queue")).drain).toBeNull();
    await dev.waitFor(bulk.id, { timeout: 60_000 });
  });

  it("lists the running worker, and quiets and resumes it", async () => {
    await openNav("Workers");
    const row = page.locator("tr[data-worker-id]");
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    await row.locator("[data-state=running]").waitFor();
    const id = (await row.getAttribute("data-worker-id")) ?? "";
    const [listed] = (await call<{ items: { id: string; host: string; capacity: number }[] }>("GET", "/v1/workers")).items;
    expect(listed?.id).toBe(id);
    expect(await row.textContent()).toContain(listed?.host ?? "?");
    await shot("workers");

    await page.getByRole("button", { name: `Quiet worker ${id}` }).click();
    await page.getByRole("button", { name: "Yes, quiet" }).click();
    await row.locator("[data-state=quiet]").waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: `Resume worker ${id}` }).click();
    await page.getByRole("button", { name: "Yes, resume" }).click();
    await row.locator("[data-state=running]").waitFor({ timeout: 30_000 });
  });

  it("draws a rebuild wave and colours its nodes level by level as they build", async () => {
    await call("PUT", "/v1/images/wave-base", image("wave-base", "busybox:1.37"));
    await call("PUT", "/v1/images/wave-runtime", image("wave-runtime", `${REGISTRY}/wave-base:v1`));
    await call("PUT", "/v1/images/wave-app", image("wave-app", `${REGISTRY}/wave-runtime:v1`));
    await openNav("Images");
    for (const name of ["wave-base", "wave-runtime", "wave-app"]) await page.locator(`tr[data-image-id="dev/${name}"]`).waitFor();
    await shot("images");

    // Paused while the page opens, so the recorder sees every node from its first state.
    await call("POST", "/v1/queue/pause");
    const wave = await call<{ id: string }>("POST", "/v1/rebuilds", { base: "wave-base", reason: "dashboard test" });
    // The page reads the wave once and follows its events: a few reads at most, however long the wave takes.
    const waveReads: number[] = [];
    const countRead = (r: { url: () => string }): void => {
      if (new URL(r.url()).pathname === `/v1/rebuilds/${wave.id}`) waveReads.push(Date.now());
    };
    page.on("request", countRead);
    await page.locator(`tr[data-wave-id="${wave.id}"] a`).click();
    await page.locator("#wave-title", { hasText: wave.id }).waitFor();
    await page.locator("g[data-node]").nth(2).waitFor();
    // Each node's state and its rectangle's drawn colour, whenever either changes.
    await page.evaluate(`(() => {
      window.noReload = true;
      window.changes = [];
      const last = {};
      const record = () => {
        for (const g of document.querySelectorAll("g[data-node]")) {
          const id = g.getAttribute("data-node"), state = g.getAttribute("data-state");
          const stroke = getComputedStyle(g.querySelector("rect")).stroke;
          if (last[id] !== state) { last[id] = state; window.changes.push({ id, state, stroke }); }
        }
      };
      record();
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true });
    })()`);
    await call("POST", "/v1/queue/resume");
    // Mid-wave: the base built, the runtime building, the app still waiting.
    await page.locator('g[data-node="dev/wave-runtime"][data-state=running]').waitFor({ timeout: 60_000 });
    await shot("wave-running");
    if (UPDATE_DOCS) await page.screenshot({ path: join(REPO_ROOT, "docs/dashboard-wave.png") });
    await page.locator("[data-wave-state=succeeded]").waitFor({ timeout: 90_000 });
    expect(await page.evaluate("window.noReload")).toBe(true);
    page.off("request", countRead);
    // Polling read it every second (the wave takes several); now: once, plus a read when the counts or a reconnect ask for it.
    expect(waveReads.length, `reads of /v1/rebuilds/${wave.id} over ${((waveReads.at(-1) ?? 0) - (waveReads[0] ?? 0)) / 1000}s`).toBeLessThanOrEqual(3);

    const changes = await page.evaluate<{ id: string; state: string; stroke: string }[]>("window.changes");
    const ids = ["dev/wave-base", "dev/wave-runtime", "dev/wave-app"];
    const at = (id: string, state: string): number => changes.findIndex((c) => c.id === id && c.state === state);
    for (const id of ids) {
      expect(at(id, "running"), `${id} seen running`).toBeGreaterThanOrEqual(0);
      expect(at(id, "succeeded"), `${id} seen succeeded`).toBeGreaterThan(at(id, "running"));
    }
    // Node by node: a level runs only once the level before it has succeeded.
    expect(at("dev/wave-runtime", "running")).toBeGreaterThan(at("dev/wave-base", "succeeded"));
    expect(at("dev/wave-app", "running")).toBeGreaterThan(at("dev/wave-runtime", "succeeded"));
    // And each state is drawn in its own colour.
    const stroke = (state: string) => changes.find((c) => c.state === state)?.stroke;
    expect(new Set([stroke("pending") ?? stroke("queued"), stroke("running"), stroke("succeeded")]).size).toBe(3);
    // Levels left to right.
    const x = async (id: string) => (await page.locator(`g[data-node="${id}"]`).getAttribute("transform"))?.match(/translate\(([\d.]+)/)?.[1];
    expect(Number(await x("dev/wave-base"))).toBeLessThan(Number(await x("dev/wave-runtime")));
    expect(Number(await x("dev/wave-runtime"))).toBeLessThan(Number(await x("dev/wave-app")));
    await shot("wave");

    // Keyboard: the node is a link; Enter opens its build.
    const done = await call<{ nodes: { id: string; buildId: string | null }[] }>("GET", `/v1/rebuilds/${wave.id}`);
    const waveBuild = done.nodes.find((n) => n.id === "dev/wave-app")?.buildId ?? "";
    expect(waveBuild).not.toBe("");
    await page.locator('g[data-node="dev/wave-app"]').focus();
    expect(await page.evaluate("document.activeElement?.getAttribute('data-node')")).toBe("dev/wave-app");
    await page.keyboard.press("Enter");
    await page.locator("#build-title", { hasText: waveBuild }).waitFor();
    await page.goBack();
    await page.locator('g[data-node="dev/wave-base"]').click();
    await page.locator("#build-title", { hasText: done.nodes.find((n) => n.id === "dev/wave-base")?.buildId ?? "?" }).waitFor();
  });

  it("triggers a schedule from the schedules page and links the build it made", async () => {
    await call("PUT", "/v1/schedules/nightly-app", {
      apiVersion: "buildfleet.dev/v1",
      kind: "Schedule",
      metadata: { name: "nightly-app" },
      spec: { cron: "0 3 1 1 *", target: { build: { context: { type: "inline", files: {} }, dockerfile: { inline: "FROM busybox:1.37\n" }, destinations: [`${REGISTRY}/nightly:v1`] } } },
    });
    await openNav("Schedules");
    const row = page.locator('tr[data-schedule="nightly-app"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("never");
    expect(await row.textContent()).toMatch(/\d{4}-01-01 03:00 UTC/);
    await page.getByRole("button", { name: "Trigger nightly-app now" }).click();
    await page.getByRole("button", { name: "Yes, trigger" }).click();
    await row.locator("[data-result=built]").waitFor({ timeout: 30_000 });
    await shot("schedules");
    const [run] = (await dev.schedules.get("nightly-app")).status.runs;
    expect(run?.trigger).toBe("manual");
    await row.getByRole("link", { name: run?.buildId ?? "?" }).click();
    await page.locator("#build-title", { hasText: run?.buildId ?? "?" }).waitFor();
  });

  it("fits a phone's width on every fleet page", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, ready] of [
      ["Queue", "tr[data-lane]"],
      ["Workers", "tr[data-worker-id]"],
      ["Images", "tr[data-wave-id]"],
      ["Schedules", "tr[data-schedule]"],
    ] as const) {
      await openNav(name);
      await page.locator(ready).first().waitFor();
      expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), `${name} page fits`).toBe(true);
    }
    await openNav("Images");
    await page.locator("tr[data-wave-id] a").first().click();
    await page.locator("g[data-node]").first().waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "wave page fits").toBe(true);
    await shot("wave-phone");
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("shows a read-only token no action buttons, and the API refuses it the actions", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(READ_ONLY);
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Queue", exact: true }).count()).toBe(0);
    expect(await nav.getByRole("link", { name: "Workers", exact: true }).count()).toBe(0);

    await openNav("Schedules");
    await page.locator('tr[data-schedule="nightly-app"]').waitFor();
    expect(await page.getByRole("button", { name: /Trigger/ }).count()).toBe(0);
    await shot("schedules-read-only");

    await page.goto(`${stack.uiUrl}queue`);
    await page.getByText("The queue page needs a token with the admin scope.").waitFor();
    expect(await page.getByRole("button", { name: /Pause|Resume|Drain/ }).count()).toBe(0);
    await page.goto(`${stack.uiUrl}workers`);
    await page.getByText("The workers page needs a token with the admin scope.").waitFor();
    expect(await page.locator("tr[data-worker-id]").count()).toBe(0);

    // The session carries only the token's scopes: with the CSRF header, still refused.
    const statuses = await page.evaluate(async () => {
      const session = (await (await fetch("/ui/session")).json()) as { csrfToken: string };
      const post = async (path: string) => (await fetch(path, { method: "POST", headers: { "x-csrf-token": session.csrfToken } })).status;
      return { trigger: await post("/v1/schedules/nightly-app/trigger"), pause: await post("/v1/queue/pause"), workers: (await fetch("/v1/workers")).status };
    });
    expect(statuses).toEqual({ trigger: 403, pause: 403, workers: 403 });
    expect((await call<{ paused: boolean }>("GET", "/v1/queue")).paused).toBe(false);
  });

  it("ran every page under the strict CSP without a violation", () => {
    expect(cspViolations).toEqual([]);
  });
});
