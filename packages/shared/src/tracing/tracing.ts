import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import type { Telemetry } from "bullmq";
import { BullMQOtel } from "bullmq-otel";

/**
 * OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. When off, no SDK module is even
 * loaded, BullMQ gets no telemetry (so it serialises no trace context) and the
 * spans below are the OpenTelemetry API's no-op ones: nothing measurable.
 * When on, one trace follows a build: the API's submit, BullMQ's add and
 * process spans (bullmq-otel carries the context in the job across Redis),
 * the worker's Job create and the terminal state.
 */

export const TRACER_NAME = "buildfleet";

let active = false;

export interface Tracing {
  enabled: boolean;
  /** Flushes and stops the exporter (bounded by the SDK's own export timeout). */
  shutdown(): Promise<void>;
}

/** Registers a global tracer provider exporting over OTLP/HTTP when the endpoint is configured. Call once in main.ts. */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  const endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"];
  if (endpoint === undefined || endpoint === "") return { enabled: false, shutdown: async () => {} };
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": env["OTEL_SERVICE_NAME"] ?? serviceName }),
    // The exporter reads the endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  markTracingActive(provider);
  return { enabled: true, shutdown: () => provider.shutdown() };
}

/** Registers an already built provider (tests: an in-memory exporter) and turns BullMQ propagation on. */
export function markTracingActive(provider: { register(): void }): void {
  provider.register();
  active = true;
}

export function tracingActive(): boolean {
  return active;
}

/** `{ telemetry }` for a BullMQ Queue or Worker when tracing is on, `{}` otherwise. */
export function bullmqTelemetry(): { telemetry?: Telemetry } {
  return active ? { telemetry: new BullMQOtel({ tracerName: TRACER_NAME }) } : {};
}

/** Attributes every span about a build carries. */
export function buildAttributes(b: { buildId: string; tenant?: string | undefined; destinations?: readonly string[] | undefined }): Attributes {
  return {
    "buildfleet.build.id": b.buildId,
    ...(b.tenant !== undefined ? { "buildfleet.tenant": b.tenant } : {}),
    ...(b.destinations?.[0] !== undefined ? { "buildfleet.destination": b.destinations[0] } : {}),
  };
}

const KINDS = { internal: SpanKind.INTERNAL, client: SpanKind.CLIENT, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER } as const;

/** Runs `fn` in a new active span, recording an exception and ending the span however `fn` ends. */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, kind: keyof typeof KINDS = "internal"): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { kind: KINDS[kind], attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : "error" });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The span the current code runs in (BullMQ's process span in a worker), or undefined. */
export function activeSpan(): Span | undefined {
  return trace.getActiveSpan();
}
