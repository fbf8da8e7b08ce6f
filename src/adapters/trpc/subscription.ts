// A subscription behind `requireSession()` ends the moment its session does: revoked
// (`UNAUTHORISED`) or its access token expired (`TRY_REFRESH_TOKEN`), as a TRPCError whose cause
// is the SessionError, so the client sees `error.data.sessionCode`.

import { type Observable, isObservable, observable } from "@trpc/server/observable";
import { isSessionError } from "../../core/errors.js";
import { untilAborted } from "../../core/stream.js";
import { toTRPCError } from "./errors.js";

function reasonError(reason: unknown): Error {
  return isSessionError(reason) ? toTRPCError(reason) : new Error("sessionkit: the session ended");
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** The procedure's result (an async iterable or an observable), ending with the session's signal. */
export function endWithSession(data: unknown, signal: AbortSignal): unknown {
  if (isAsyncIterable(data)) {
    return untilAborted(data, signal, (reason) => {
      throw reasonError(reason);
    });
  }
  if (isObservable(data)) {
    const source = data as Observable<unknown, unknown>;
    return observable<unknown, unknown>((observer) => {
      if (signal.aborted) {
        observer.error(reasonError(signal.reason));
        return () => {};
      }
      const subscription = source.subscribe(observer);
      const onAbort = () => {
        subscription.unsubscribe();
        observer.error(reasonError(signal.reason));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      return () => {
        signal.removeEventListener("abort", onAbort);
        subscription.unsubscribe();
      };
    });
  }
  return data;
}
