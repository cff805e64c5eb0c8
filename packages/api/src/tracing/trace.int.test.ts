import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { startKubeSim } from "@buildfleet/kubesim";
import { createLogger, markTracingActive } from "@buildfleet/shared";
import { isTerminalState } from "@buildfleet/contract";
import { useRedis } from "@buildfleet/testkit";
import { WorkerService } from "@buildfleet/worker";
import { describe, expect, it } from "vitest";
import { startHarness } from "../test-support/harness.js";

// Registered for this file's worker before any Queue or Worker is made, as main.ts does with OTLP.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
markTracingActive(provider);

describe("traces", () => {
  const redis = useRedis();

  it("puts the API's submit, the queue hop and the worker's Job create in one trace", async () => {
    const sim = await startKubeSim({ speed: 100, defaultRunMs: 2_000, startDelayMs: 100 });
    redis.track({ close: () => sim.close() });
    const h = await startHarness(redis, { env: { SHUTDOWN_TIMEOUT_MS: "5000" } });
    const worker = new WorkerService({
      config: h.config,
      logger: createLogger({ name: "trace-test", level: "silent" }),
      kubeConfig: sim.kubeConfig,
      http: false,
      webhooks: false,
    });
    redis.track({ close: () => worker.stop() });
    await worker.start();

    const { id } = await h.submit();
    const until = Date.now() + 30_000;
    const spansOf = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name && s.attributes["buildfleet.build.id"] === id);
    for (;;) {
      const record = await h.store.get(id);
      const processed = exporter.getFinishedSpans().some((s) => s.name.startsWith("process") && s.attributes["buildfleet.build.id"] === id);
      if (record !== undefined && isTerminalState(record.state) && processed) break;
      if (Date.now() > until) throw new Error(`build ${id} did not finish with its spans: ${exporter.getFinishedSpans().map((s) => s.name).join(", ")}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const [submit] = spansOf("buildfleet.submit");
    const [create] = spansOf("k8s.job.create");
    const process = exporter.getFinishedSpans().find((s) => s.name.startsWith("process") && s.attributes["buildfleet.build.id"] === id);
    expect(submit?.attributes).toMatchObject({ "buildfleet.tenant": "team-a", "buildfleet.destination": "registry.internal:5000/team-a/app:v1.0.0" });
    expect(process?.attributes).toMatchObject({ "buildfleet.tenant": "team-a" });
    expect(process?.events.map((e) => e.name)).toContain("build.succeeded");
    const traceId = submit?.spanContext().traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(process?.spanContext().traceId).toBe(traceId);
    expect(create?.spanContext().traceId).toBe(traceId);
    // The queue hop in between: BullMQ's add span is a child of the submit.
    const add = exporter.getFinishedSpans().find((s) => s.name.startsWith("add") && s.spanContext().traceId === traceId);
    expect(add?.parentSpanContext?.spanId).toBe(submit?.spanContext().spanId);
  });
});
