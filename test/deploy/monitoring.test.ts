import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createWorkerMetrics } from "@buildfleet/worker";
import { runPromtool, skipWithoutPromtool } from "@buildfleet/testkit";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { deploymentSpec, find, kubectl, OVERLAYS, parseObjects, renderOverlay, REPO_ROOT, skipWithoutKubectl, type K8sObject } from "./render.js";

/**
 * deploy/monitoring: the alert and recording rules pass `promtool check rules`
 * and their unit tests (`promtool test rules`); the Grafana dashboard's queries
 * are valid PromQL; and every metric the rules and the dashboard use is one
 * the worker or the API really serves (a renamed metric must not leave a
 * silent panel or an alert that can never fire).
 */
const DIR = `${REPO_ROOT}deploy/monitoring/`;

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string }>;
}
interface RuleGroup {
  name: string;
  rules: Array<{ record?: string; alert?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }>;
}

async function dashboard(): Promise<{ panels: Panel[]; templating: { list: Array<{ name: string }> } }> {
  return JSON.parse(await readFile(`${DIR}grafana-dashboard.json`, "utf8")) as { panels: Panel[]; templating: { list: Array<{ name: string }> } };
}
async function ruleGroups(): Promise<RuleGroup[]> {
  return (parse(await readFile(`${DIR}buildfleet.rules.yaml`, "utf8")) as { groups: RuleGroup[] }).groups;
}
const queriesOf = (panels: Panel[]): string[] => panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** Metric names the services expose: the worker's from its registry, the API's from its source. */
async function servedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  const worker = await createWorkerMetrics().registry.getMetricsAsJSON();
  for (const m of worker) {
    names.add(m.name);
    if (String(m.type) === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${m.name}${suffix}`);
  }
  const apiSource = await readFile(`${REPO_ROOT}packages/api/src/ops/metrics.ts`, "utf8");
  for (const [, name] of apiSource.matchAll(/name: "(buildfleet_api_[a-z_]+)"/g)) {
    if (name === undefined) continue;
    names.add(name);
    for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

/** Metric names in a PromQL expression (buildfleet's own, the recording rules', and process/nodejs defaults). */
function metricsIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...withoutStrings.matchAll(/\b(buildfleet[:_][a-z0-9_:]+|process_[a-z_]+|nodejs_[a-z0-9_]+)/g)].map((m) => m[1] ?? "");
}

describe.skipIf(skipWithoutPromtool)("deploy/monitoring with promtool", () => {
  it("passes promtool check rules", async () => {
    const res = await runPromtool(["check", "rules", "buildfleet.rules.yaml"], { cwd: DIR });
    expect(`${res.stdout}${res.stderr}`).toContain("SUCCESS");
    expect(res.code).toBe(0);
  });

  it("passes its rule unit tests (promtool test rules)", async () => {
    const res = await runPromtool(["test", "rules", "buildfleet.rules.test.yaml"], { cwd: DIR });
    expect(`${res.stdout}${res.stderr}`).toContain("SUCCESS");
    expect(res.code).toBe(0);
  });

  it("has only valid PromQL in the dashboard", async () => {
    const exprs = queriesOf((await dashboard()).panels).map((e) =>
      // Grafana's variables, as Grafana would substitute them.
      e.replaceAll("$__rate_interval", "5m").replaceAll("$instance", ".*").replaceAll("$lane", ".*"),
    );
    const dir = await mkdtemp(join(tmpdir(), "buildfleet-dashboard-"));
    try {
      const rules = { groups: [{ name: "dashboard", rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }] };
      await writeFile(join(dir, "dashboard.rules.json"), JSON.stringify(rules));
      const res = await runPromtool(["check", "rules", "dashboard.rules.json"], { cwd: dir });
      expect(`${res.stdout}${res.stderr}`).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("deploy/monitoring", () => {
  it("alerts on queue wait, failure ratio, restarting watches and no worker ready", async () => {
    const alerts = (await ruleGroups()).flatMap((g) => g.rules.filter((r) => r.alert !== undefined));
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining(["BuildfleetQueueWaitHigh", "BuildfleetBuildFailureRatioHigh", "BuildfleetWatchesRestarting", "BuildfleetJobCreatesBacklogged", "BuildfleetNoWorkerReady"]),
    );
    for (const a of alerts) {
      expect(["warning", "critical"]).toContain(a.labels?.["severity"]);
      expect(a.annotations?.["summary"]).toBeTruthy();
    }
  });

  it("uses only metrics the worker and the API serve, or recording rules defined next to them", async () => {
    const served = await servedNames();
    const groups = await ruleGroups();
    const recorded = new Set(groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
    const used = [...queriesOf((await dashboard()).panels), ...groups.flatMap((g) => g.rules.map((r) => r.expr))].flatMap(metricsIn);
    expect(used.length).toBeGreaterThan(20);
    expect([...new Set(used)].filter((n) => !served.has(n) && !recorded.has(n))).toEqual([]);
  });

  it("is a dashboard with unique panel ids, every query on the chosen Prometheus", async () => {
    const d = await dashboard();
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(d.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(["datasource", "instance", "lane"]));
    for (const p of d.panels.filter((x) => x.type !== "row")) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.datasource?.uid, p.title).toBe("${datasource}");
    }
  });
});

interface PodMonitorSpec {
  selector: { matchLabels: Record<string, string> };
  podMetricsEndpoints: Array<{ port: string; path: string }>;
}
type Template = { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> } };
const templateOf = (objects: K8sObject[], name: string): Template => deploymentSpec(find(objects, "Deployment", name)).template;

describe.skipIf(skipWithoutKubectl)("deploy/ scraping of /metrics", () => {
  it.each(OVERLAYS)("%s: annotates worker and API pods for scraping on a port they listen on", async (overlay) => {
    const { objects } = await renderOverlay(overlay);
    for (const name of ["buildfleet-worker", "buildfleet-api"]) {
      const t = templateOf(objects, name);
      expect(t.metadata.annotations?.["prometheus.io/scrape"], name).toBe("true");
      expect(t.metadata.annotations?.["prometheus.io/path"], name).toBe("/metrics");
      const ports = t.spec.containers.flatMap((c) => c.ports ?? []).map((p) => String(p.containerPort));
      expect(ports, name).toContain(t.metadata.annotations?.["prometheus.io/port"]);
    }
  });

  it("the monitoring component adds PodMonitors that select each service's pods on a named port", async () => {
    const dir = await mkdtemp(join(tmpdir(), "buildfleet-monitoring-"));
    try {
      const deploy = relative(dir, `${REPO_ROOT}deploy`);
      await writeFile(
        join(dir, "kustomization.yaml"),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${deploy}/overlays/production\ncomponents:\n  - ${deploy}/components/monitoring\n`,
      );
      const objects = parseObjects(await kubectl(["kustomize", dir, "--load-restrictor", "LoadRestrictionsNone"]));
      const production = (await renderOverlay("production")).objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).filter((k) => !production.includes(k)).sort()).toEqual([
        "PodMonitor/buildfleet-api",
        "PodMonitor/buildfleet-worker",
      ]);
      for (const name of ["buildfleet-worker", "buildfleet-api"]) {
        const spec = find(objects, "PodMonitor", name)["spec"] as PodMonitorSpec;
        const t = templateOf(objects, name);
        expect(Object.entries(spec.selector.matchLabels).every(([k, v]) => t.metadata.labels[k] === v), name).toBe(true);
        const portNames = t.spec.containers.flatMap((c) => c.ports ?? []).map((p) => p.name);
        for (const e of spec.podMetricsEndpoints) {
          expect(portNames, name).toContain(e.port);
          expect(e.path).toBe("/metrics");
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
