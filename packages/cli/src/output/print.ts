import { stringify } from "yaml";
import type { BuildRecord, QueueView, StreamedEvent } from "@buildfleet/sdk";
import { UsageError } from "../exit-codes.js";
import { formatAge, renderTable } from "./table.js";

/** Rendering of builds, queue and events for `-o table|wide|json|yaml|name`. */

export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml", "name"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutput(value: string | undefined): OutputFormat {
  const v = value ?? "table";
  if ((OUTPUT_FORMATS as readonly string[]).includes(v)) return v as OutputFormat;
  throw new UsageError(`-o must be one of ${OUTPUT_FORMATS.join(", ")} or jsonpath=TEMPLATE, got ${JSON.stringify(v)}`);
}

/** The template of `-o jsonpath=TEMPLATE` (kubectl's spelling), or undefined for the other formats. */
export function jsonPathOf(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith("jsonpath=")) return undefined;
  const t = value.slice("jsonpath=".length);
  return /^'.*'$/s.test(t) ? t.slice(1, -1) : t;
}

export function asDocument(value: unknown, format: "json" | "yaml"): string {
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

const shortDigest = (d: string | undefined): string => (d === undefined ? "" : d.slice(0, 19));

export function buildsTable(builds: readonly BuildRecord[], format: "table" | "wide", now = Date.now(), headers = true): string {
  const table = (head: string[], rows: string[][]): string => {
    const text = renderTable(head, rows);
    return headers ? text : text.slice(text.indexOf("\n") + 1);
  };
  if (format === "wide") {
    return table(
      ["NAME", "STATE", "ATTEMPTS", "PRIORITY", "JOB", "DIGEST", "REASON", "DESTINATION", "AGE"],
      builds.map((b) => [
        b.id,
        b.state,
        String(b.attempts.length),
        String(b.request.priority ?? "normal"),
        b.jobName ?? "",
        b.digest ?? "",
        b.failure?.reason ?? "",
        b.request.destinations[0] ?? "",
        formatAge(b.createdAt, now),
      ]),
    );
  }
  return table(
    ["NAME", "STATE", "ATTEMPTS", "DIGEST", "AGE"],
    builds.map((b) => [b.id, b.state, String(b.attempts.length), shortDigest(b.digest), formatAge(b.createdAt, now)]),
  );
}

export function printBuilds(builds: readonly BuildRecord[], format: OutputFormat, single: boolean, options: { headers?: boolean } = {}): string {
  switch (format) {
    case "json":
    case "yaml":
      return asDocument(single ? builds[0] : { items: builds }, format);
    case "name":
      return builds.map((b) => `build/${b.id}\n`).join("");
    case "table":
    case "wide":
      return buildsTable(builds, format, Date.now(), options.headers ?? true);
  }
}

/** An ETA in seconds as people read it: "45s", "3m", "1h20m". */
export function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m}m`;
  return m % 60 === 0 ? `${Math.floor(m / 60)}h` : `${Math.floor(m / 60)}h${m % 60}m`;
}

/** ", queue position 3, starts in about 2m" for a waiting build ("" once taken; the ETA only when the API gave one). */
export function queueNote(build: { queuePosition?: number | null; etaSeconds?: number | null }): string {
  if (build.queuePosition === undefined || build.queuePosition === null) return "";
  const eta = build.etaSeconds === undefined || build.etaSeconds === null ? "" : build.etaSeconds === 0 ? ", starts now" : `, starts in about ${formatEta(build.etaSeconds)}`;
  return `, queue position ${build.queuePosition}${eta}`;
}

export function queueTable(view: QueueView): string {
  const c = view.counts;
  const jobs = renderTable(
    ["WAITING", "ACTIVE", "DELAYED", "PRIORITIZED", "COMPLETED", "FAILED", "PAUSED"],
    [[c.waiting, c.active, c.delayed, c.prioritized, c.completed, c.failed, view.paused].map(String)],
  );
  const b = view.builds;
  if (b === undefined) return `BullMQ jobs (not build outcomes):\n${jobs}`;
  const builds = renderTable(
    ["QUEUED", "STARTING", "RUNNING", "RETRYING", "SUCCEEDED", "FAILED", "CANCELLED"],
    [[b.queued, b.starting, b.running, b.retrying, b.succeeded, b.failed, b.cancelled].map(String)],
  );
  const window = `created in the last ${b.windowHours} h${b.truncated ? ", newest only" : ""}`;
  // BullMQ counts a failed build as a completed job: label them so nobody reads them as outcomes.
  return `Builds (${window}), by state:\n${builds}\nBullMQ jobs (a failed build is a completed job):\n${jobs}`;
}

/** One line per event: time, type, build, and what matters about it. */
export function eventLine(e: StreamedEvent): string {
  const data = e.event.data as Record<string, unknown>;
  const detail = [
    typeof data["attempt"] === "number" ? `attempt=${data["attempt"]}` : "",
    typeof data["jobName"] === "string" ? `job=${data["jobName"]}` : "",
    typeof data["digest"] === "string" ? `digest=${data["digest"]}` : "",
    typeof data["reason"] === "string" ? `reason=${data["reason"]}` : "",
    typeof data["message"] === "string" ? `message=${JSON.stringify(data["message"])}` : "",
  ]
    .filter((s) => s !== "")
    .join(" ");
  return `${e.event.time}  ${e.type.padEnd(15)}  build/${e.event.subject}${detail ? `  ${detail}` : ""}\n`;
}
