// The span of a coalesced revocation write (revocation-batch.ts): `sessionkit.revoke.batch`, a
// root span (not a child of whichever caller started the write) linked to every caller's
// `sessionkit.revoke` span; each caller's span gets the batch size and a link back to it. The store
// call runs inside it, so its statement span is the batch's child and its round trip is counted
// there, once. Attributes are counts only: no handle, token or secret.

import type { Attributes, OpenTelemetryApi, OtelContext, OtelSpanContext, OtelTracer } from "./otel-api.js";
import { ERROR, INTERNAL, errorType, settle } from "./telemetry-errors.js";

/** What a caller's operation offers the batch that carries it (telemetry.ts's OperationNotes). */
export interface BatchMember {
  set(key: string, value: string | number | boolean): void;
  /** The caller's span context, to link to; undefined without tracing. */
  readonly spanContext: OtelSpanContext | undefined;
  /** Links the caller's span to the batch's. */
  link(spanContext: OtelSpanContext): void;
}

export const BATCH_SIZE = "sessionkit.revocation.batch_size";

export function inBatchSpan<T>(
  api: OpenTelemetryApi,
  tracer: OtelTracer | undefined,
  queriesKey: symbol,
  members: readonly BatchMember[],
  work: () => Promise<T>,
): Promise<T> {
  const size = members.length;
  for (const member of members) member.set(BATCH_SIZE, size);
  const parentless = api.trace.deleteSpan(api.context.active()) as OtelContext;
  const links = members.flatMap((m) => (m.spanContext === undefined ? [] : [{ context: m.spanContext }]));
  const attributes: Attributes = { [BATCH_SIZE]: size };
  const span = tracer?.startSpan("sessionkit.revoke.batch", { kind: INTERNAL, attributes, links }, parentless);
  const queries = { count: 0, outer: undefined };
  let context = parentless.setValue(queriesKey, queries);
  if (span) {
    context = api.trace.setSpan(context, span) as OtelContext;
    const own = span.spanContext();
    for (const member of members) member.link(own);
  }
  const finish = (error?: unknown) => {
    span?.setAttribute("sessionkit.queries", queries.count);
    // The kind only, as on store spans: a driver's message can quote the statement's parameters.
    if (error !== undefined) {
      const type = errorType(error);
      span?.setAttribute("error.type", type);
      span?.setStatus({ code: ERROR, message: type });
    }
    span?.end();
  };
  return settle(api.context.with(context, work) as Promise<T>, finish);
}
