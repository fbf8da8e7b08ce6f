// How a span ends and records a failure (telemetry.ts, telemetry-batch.ts): the API's stable
// numbers, the error's kind for `error.type`, never a driver's message (it can quote a statement's
// parameters), and one way to finish a span when its work settles.

import { isSessionError } from "./errors.js";

/** `SpanKind.INTERNAL` and `SpanStatusCode.ERROR` of the API (stable numbers). */
export const INTERNAL = 0;
export const ERROR = 2;

/**
 * The error's kind for `error.type`: a SessionError's code, else the driver's own error (under
 * Drizzle's wrapper) by its code (a SQLSTATE, an errno) or its name.
 */
export function errorType(error: unknown): string {
  if (isSessionError(error)) return error.code;
  let inner = error;
  for (let depth = 0; depth < 8 && inner instanceof Error && inner.cause instanceof Error; depth++) inner = inner.cause;
  const code = (inner as { code?: unknown } | null)?.code;
  if ((typeof code === "string" || typeof code === "number") && String(code).length > 0 && String(code).length <= 32) return String(code);
  return inner instanceof Error ? inner.name : "Error";
}

/** `work`'s outcome, passed on unchanged after `finish` ran (with the error, when `work` failed). */
export function settle<T>(work: PromiseLike<T>, finish: (error?: unknown) => void): Promise<T> {
  return Promise.resolve(work).then(
    (result) => {
      finish();
      return result;
    },
    (error: unknown) => {
      finish(error);
      throw error;
    },
  );
}
