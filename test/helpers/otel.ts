// The OpenTelemetry SDK registered as an application registers it (global tracer and meter
// providers, the AsyncLocalStorage context manager NodeSDK uses), exporting into memory: spans
// through InMemorySpanExporter, metrics through InMemoryMetricExporter read on demand.

import * as otel from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

export { otel };
export type { ReadableSpan };

type Point = { attributes: Record<string, unknown>; value: unknown };

/** One collection of every metric (what changed since the previous one): values by name, filtered by attributes. */
export class MetricSnapshot {
  constructor(readonly metrics: MetricData[]) {}

  points(name: string, attributes: Record<string, unknown> = {}): Point[] {
    const metric = this.metrics.find((m) => m.descriptor.name === name);
    const points = (metric?.dataPoints ?? []) as Point[];
    return points.filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
  }

  /** A counter's total (or a histogram's count) over the points that have these attributes. */
  total(name: string, attributes: Record<string, unknown> = {}): number {
    return this.points(name, attributes).reduce(
      (sum, p) => sum + (typeof p.value === "number" ? p.value : (p.value as { count: number }).count),
      0,
    );
  }

  /** A gauge's value (undefined when nothing observed it). */
  gauge(name: string): number | undefined {
    const [point] = this.points(name);
    return point === undefined ? undefined : (point.value as number);
  }
}

export function registerOtel() {
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  otel.context.setGlobalContextManager(contextManager);
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  otel.trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = new MeterProvider({ readers: [reader] });
  otel.metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    /** Collects every metric now: the changes since the previous collection (delta temporality). */
    async collect(): Promise<MetricSnapshot> {
      metricExporter.reset();
      await reader.forceFlush();
      const last = metricExporter.getMetrics().at(-1);
      return new MetricSnapshot(last?.scopeMetrics.flatMap((s) => s.metrics) ?? []);
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      otel.trace.disable();
      otel.metrics.disable();
      otel.context.disable();
    },
  };
}

/** The spans whose parent is `span`. */
export function childrenOf(all: ReadableSpan[], span: ReadableSpan): ReadableSpan[] {
  const id = span.spanContext().spanId;
  return all.filter((s) => s.parentSpanContext?.spanId === id);
}
