// OpenTelemetry for the tRPC bench server (BENCH_TELEMETRY): "off" passes the API module with no
// SDK registered; "on" registers an SDK first, as an application would (batched spans and
// periodic metrics into exporters that drop them, so only sessionkit's recording is measured).

import * as otel from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";

/** Accepts every batch and keeps nothing. */
const dropSpans: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

export async function telemetryOf(mode: string | undefined): Promise<typeof otel | undefined> {
  if (mode === undefined || mode === "") return undefined;
  if (mode === "off") return otel;
  if (mode !== "on") throw new Error(`BENCH_TELEMETRY must be off or on, got ${mode}`);
  otel.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  otel.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] }));
  const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1000 });
  otel.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  // Keep the exporter from growing over a long run: what it holds is never read.
  setInterval(() => exporter.reset(), 5000).unref();
  return otel;
}
