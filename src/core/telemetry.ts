// OpenTelemetry (`createSessions({ telemetry: otel })`, with `otel` the `@opentelemetry/api`
// module the application passes in): spans for sign-in, refresh, revocation and every store call,
// and the counters, histogram and gauges of docs/observability.md. The core never imports the
// package: it works on the object it is given, so without it nothing is loaded and nothing runs.
// Whether an SDK is registered is looked at once, when createSessions runs; without one every call below is a branch on an undefined field.

import { isSessionError } from "./errors.js";
import type { RevocationReason } from "./events.js";
import type { SessionStore } from "./store.js";
import type { Attributes, OpenTelemetryApi, OtelContext, OtelCounter, OtelHistogram, OtelMeter, OtelTracer } from "./otel-api.js";
import { type BatchMember, inBatchSpan } from "./telemetry-batch.js";
import { ERROR, INTERNAL, errorType, settle } from "./telemetry-errors.js";

const NAME = "sessionkit";
const VERSION = "0.2.0";

/** What an operation can add to its span once it knows (the refresh's grace outcome, the number revoked, its batch). */
export type OperationNotes = BatchMember;
const IGNORED: OperationNotes = { set() {}, spanContext: undefined, link() {} };

/** Store calls that are more than one round trip (store.ts): BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT. */
const ROUND_TRIPS: Partial<Record<keyof SessionStore, number>> = { modifySessionDataLocked: 4 };
/** Long-lived, not a call: never wrapped. */
const NOT_CALLS = new Set<string>(["listen"]);

/** Store round trips made inside an operation, also counted in the operations around it. */
interface QueryCount {
  count: number;
  outer: QueryCount | undefined;
}

/** The status message of a failed span: a SessionError's own (secret-free) message, else only the kind. */
function statusMessage(error: unknown): string {
  return isSessionError(error) ? `${error.code}: ${error.message}` : errorType(error);
}

/** What the notify listener reports for its gauges (notify.ts). */
export interface ListenerState {
  /** True while revocations are applied from memory (listening and caught up). */
  live(): boolean;
  /** The last probe's time from NOTIFY to hearing it on the listening connection, in ms. */
  lagMs(): number | undefined;
}

type Metrics = {
  signIns: OtelCounter;
  refreshes: OtelCounter;
  thefts: OtelCounter;
  revocations: OtelCounter;
  cacheHits: OtelCounter;
  cacheMisses: OtelCounter;
  storeDuration: OtelHistogram;
  meter: OtelMeter;
};

const COUNTER_OF = { createNewSession: "signIns", refresh: "refreshes", revoke: undefined } as const;
export type OperationName = keyof typeof COUNTER_OF;

/** The instruments of one `createSessions` instance; inert (every field undefined) without an SDK. */
export class Telemetry {
  readonly #api: OpenTelemetryApi | undefined;
  readonly #tracer: OtelTracer | undefined;
  readonly #metrics: Metrics | undefined;
  readonly #queries: symbol | undefined;
  readonly #unobserve: (() => void)[] = [];
  /** Counts cache lookups; undefined (nothing to call) without a metrics SDK. */
  readonly onCacheLookup: ((hit: boolean) => void) | undefined;

  constructor(api: OpenTelemetryApi | undefined) {
    if (!api) return;
    this.#api = api;
    // The global tracer provider is a proxy until an SDK registers: ask it whether one has.
    const provider = api.trace.getTracerProvider() as { getDelegateTracer?(name: string, version?: string): unknown };
    const tracing = !(provider instanceof api.ProxyTracerProvider) || provider.getDelegateTracer?.(NAME, VERSION) !== undefined;
    if (tracing) this.#tracer = api.trace.getTracer(NAME, VERSION);
    const meter = api.metrics.getMeter(NAME, VERSION);
    if (meter !== api.createNoopMeter()) this.#metrics = instruments(meter);
    if (this.#tracer || this.#metrics) this.#queries = api.createContextKey("sessionkit.queries");
    const metrics = this.#metrics;
    if (metrics) this.onCacheLookup = (hit) => (hit ? metrics.cacheHits : metrics.cacheMisses).add(1);
  }

  /** Whether any span or metric is recorded (an SDK was registered when createSessions ran). */
  get active(): boolean {
    return this.#queries !== undefined;
  }

  /**
   * Runs a sign-in, a refresh or a revocation in its span (`sessionkit.<name>`), with the number
   * of store round trips made inside it and, on failure, the error's kind; counts it.
   */
  operation<T>(name: OperationName, attributes: Attributes, work: (notes: OperationNotes) => Promise<T>): Promise<T> {
    const api = this.#api;
    const key = this.#queries;
    if (!api || !key) return work(IGNORED);
    const span = this.#tracer?.startSpan(`${NAME}.${name}`, { kind: INTERNAL, attributes });
    const noted: Attributes = {};
    const notes: OperationNotes = {
      set(k, v) {
        noted[k] = v;
        span?.setAttribute(k, v);
      },
      spanContext: span?.spanContext(),
      link: (context) => span?.addLink?.({ context }),
    };
    let context = api.context.active() as OtelContext;
    const queries: QueryCount = { count: 0, outer: context.getValue(key) as QueryCount | undefined };
    if (span) context = api.trace.setSpan(context, span) as OtelContext;
    context = context.setValue(key, queries);
    const counterName = COUNTER_OF[name];
    const counter = counterName ? this.#metrics?.[counterName] : undefined;
    const finish = (error?: unknown) => {
      span?.setAttribute("sessionkit.queries", queries.count);
      if (error !== undefined) {
        const type = errorType(error);
        span?.setAttribute("error.type", type);
        span?.setStatus({ code: ERROR, message: statusMessage(error) });
        counter?.add(1, { "error.type": type });
      } else {
        counter?.add(1, noted);
      }
      span?.end();
    };
    return settle(api.context.with(context, () => work(notes)) as Promise<T>, finish);
  }

  /** Runs a write shared by several operations (their notes) in its own span: telemetry-batch.ts. */
  batch<T>(members: readonly OperationNotes[], work: () => Promise<T>): Promise<T> {
    const api = this.#api;
    const key = this.#queries;
    return api && key ? inBatchSpan(api, this.#tracer, key, members, work) : work();
  }

  /** Sessions ended (by reason), and those ended as stolen. */
  revoked(reason: RevocationReason, sessions: number): void {
    const metrics = this.#metrics;
    if (!metrics || sessions === 0) return;
    metrics.revocations.add(sessions, { "sessionkit.revocation.reason": reason });
    if (reason === "theft") metrics.thefts.add(sessions);
  }

  /**
   * The store with every call in a `sessionkit.store.<method>` span, timed into the store
   * histogram and counted into the enclosing operation's queries. The store itself without an SDK.
   */
  instrumentStore(store: SessionStore): SessionStore {
    const api = this.#api;
    const key = this.#queries;
    if (!api || !key) return store;
    const tracer = this.#tracer;
    const histogram = this.#metrics?.storeDuration;
    // Inherits everything else (listen, a driver's own members) from the store itself.
    const instrumented = Object.create(store) as Record<string, unknown>;
    const methods = new Set<string>();
    for (let o: object | null = store; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const name of Object.getOwnPropertyNames(o)) methods.add(name);
    }
    for (const method of methods) {
      const original = (store as unknown as Record<string, unknown>)[method];
      if (method === "constructor" || NOT_CALLS.has(method) || typeof original !== "function") continue;
      const roundTrips = ROUND_TRIPS[method as keyof SessionStore] ?? 1;
      const attributes = { "sessionkit.store.method": method, "sessionkit.queries": roundTrips };
      const measured = { "sessionkit.store.method": method };
      instrumented[method] = (...args: unknown[]) => {
        for (let q = (api.context.active() as OtelContext).getValue(key) as QueryCount | undefined; q; q = q.outer) q.count += roundTrips;
        const span = tracer?.startSpan(`${NAME}.store.${method}`, { kind: INTERNAL, attributes });
        const started = performance.now();
        const done = (error?: unknown) => {
          const type = error === undefined ? undefined : errorType(error);
          histogram?.record((performance.now() - started) / 1000, type ? { ...measured, "error.type": type } : measured);
          if (type) {
            span?.setAttribute("error.type", type);
            // The kind only: a driver's message can quote the statement's parameters (keys, hashes).
            span?.setStatus({ code: ERROR, message: type });
          }
          span?.end();
        };
        let result: unknown;
        try {
          result = (original as (...a: unknown[]) => unknown).apply(store, args);
        } catch (error) {
          done(error);
          throw error;
        }
        return settle(Promise.resolve(result), done);
      };
    }
    return instrumented as unknown as SessionStore;
  }

  /** The listener's gauges (revocation "notify"), observed until {@link close}. */
  observeListener(listener: ListenerState): void {
    const meter = this.#metrics?.meter;
    if (!meter) return;
    const listening = meter.createObservableGauge(`${NAME}.notify.listening`, {
      description:
        'Whether revocations are applied from memory (1: the revocation "notify" listener is up and caught up) or checked in the database (0)',
    });
    const lag = meter.createObservableGauge(`${NAME}.notify.lag`, {
      description: "How long the listener's last probe took from NOTIFY to being heard: the delay of a revocation notice",
      unit: "s",
    });
    const observeListening = (result: { observe(value: number): void }) => result.observe(listener.live() ? 1 : 0);
    const observeLag = (result: { observe(value: number): void }) => {
      const ms = listener.lagMs();
      if (ms !== undefined) result.observe(ms / 1000);
    };
    listening.addCallback(observeListening);
    lag.addCallback(observeLag);
    this.#unobserve.push(
      () => listening.removeCallback(observeListening),
      () => lag.removeCallback(observeLag),
    );
  }

  /** Stops observing (sessions.close()): a closed instance reports no gauge and is not kept alive by one. */
  close(): void {
    for (const stop of this.#unobserve.splice(0)) stop();
  }
}

function instruments(meter: OtelMeter): Metrics {
  return {
    meter,
    signIns: meter.createCounter(`${NAME}.sign_ins`, { description: "Sessions started (createNewSession)", unit: "{session}" }),
    refreshes: meter.createCounter(`${NAME}.refreshes`, { description: "Refresh calls", unit: "{refresh}" }),
    thefts: meter.createCounter(`${NAME}.thefts`, {
      description: "Sessions ended because a rotated-away refresh token came back",
      unit: "{session}",
    }),
    revocations: meter.createCounter(`${NAME}.revocations`, { description: "Sessions revoked, by reason", unit: "{session}" }),
    cacheHits: meter.createCounter(`${NAME}.token_cache.hits`, {
      description: "Access tokens found in the verified-token cache",
      unit: "{token}",
    }),
    cacheMisses: meter.createCounter(`${NAME}.token_cache.misses`, {
      description: "Access tokens not in the verified-token cache (their signature was checked)",
      unit: "{token}",
    }),
    storeDuration: meter.createHistogram(`${NAME}.store.duration`, {
      description: "Duration of session store calls",
      unit: "s",
      advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    }),
  };
}

/** `telemetry` checked like the other options: it must be the `@opentelemetry/api` module. */
export function telemetryOption(value: unknown): OpenTelemetryApi | undefined {
  if (value === undefined) return undefined;
  const api = value as Partial<OpenTelemetryApi> | null;
  if (
    !api ||
    typeof api.trace?.getTracer !== "function" ||
    typeof api.metrics?.getMeter !== "function" ||
    typeof api.context?.with !== "function" ||
    typeof api.createContextKey !== "function" ||
    typeof api.createNoopMeter !== "function" ||
    typeof api.ProxyTracerProvider !== "function"
  ) {
    throw new TypeError(
      'sessionkit: telemetry must be the @opentelemetry/api module: import * as otel from "@opentelemetry/api"; createSessions({ telemetry: otel })',
    );
  }
  return api as OpenTelemetryApi;
}
