// The few shapes of `@opentelemetry/api` the telemetry uses, written out so that the package stays
// an optional peer: its types are not needed to compile against sessionkit's.

export type Attributes = Record<string, string | number | boolean>;
/** An OpenTelemetry context (opaque here). */
export interface OtelContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): OtelContext;
}
/** A span's identity, what a link points to. */
export interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}
export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  spanContext(): OtelSpanContext;
  /** API 1.9+; absent on older SDKs' spans. */
  addLink?(link: { context: OtelSpanContext }): unknown;
  end(): void;
}
export interface OtelTracer {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: Attributes; links?: { context: OtelSpanContext }[] },
    context?: OtelContext,
  ): OtelSpan;
}
export interface OtelCounter {
  add(value: number, attributes?: Attributes): void;
}
export interface OtelHistogram {
  record(value: number, attributes?: Attributes): void;
}
export interface OtelObservableGauge {
  addCallback(callback: (result: { observe(value: number, attributes?: Attributes): void }) => void): void;
  removeCallback(callback: (result: { observe(value: number, attributes?: Attributes): void }) => void): void;
}
export interface OtelMeter {
  createCounter(name: string, options?: { description?: string; unit?: string }): OtelCounter;
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): OtelHistogram;
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): OtelObservableGauge;
}

/**
 * The `@opentelemetry/api` module (`import * as otel from "@opentelemetry/api"`), as
 * `createSessions({ telemetry })` takes it. Only the members listed here are used.
 */
export interface OpenTelemetryApi {
  trace: {
    getTracerProvider(): unknown;
    getTracer(name: string, version?: string): OtelTracer;
    // biome-ignore lint/suspicious/noExplicitAny: the API's own Context and Span types
    setSpan(context: any, span: any): any;
    // biome-ignore lint/suspicious/noExplicitAny: the API's own Context type
    deleteSpan(context: any): any;
  };
  metrics: { getMeter(name: string, version?: string): OtelMeter };
  context: {
    // biome-ignore lint/suspicious/noExplicitAny: the API's own Context type
    active(): any;
    // biome-ignore lint/suspicious/noExplicitAny: the API's generic `with`
    with(context: any, fn: () => any): any;
  };
  createContextKey(description: string): symbol;
  createNoopMeter(): unknown;
  ProxyTracerProvider: abstract new (...args: never[]) => object;
}
