// The one place where sessionkit's SessionError codes become tRPC errors and error shapes.

import { TRPCError } from "@trpc/server";
import { type ClaimValidationError, type SessionError, type SessionErrorCode, isSessionError } from "../../core/errors.js";
import { reportRefusal, wireMessage } from "../../core/internal.js";
import { expectFormatted, formatted } from "./formatter-check.js";

/** The SessionError behind a tRPC error: the error itself, or its cause (one level of wrapping or two). */
export function sessionErrorIn(error: unknown): SessionError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current !== undefined && current !== null; depth++) {
    if (isSessionError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A SessionError as a TRPCError: `UNAUTHORIZED` (401) for session problems, with the wire
 * message ("try refresh token", "unauthorised", …), `INTERNAL_SERVER_ERROR` (500) for a store
 * outage. The SessionError is the `cause`.
 */
export function toTRPCError(error: SessionError): TRPCError {
  if (error.code === "GENERAL_ERROR") {
    return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: error.message, cause: error });
  }
  if (error.code === "INVALID_CLAIM") return new TRPCError({ code: "FORBIDDEN", message: wireMessage(error.code), cause: error });
  reportRefusal(error);
  expectFormatted(error);
  return new TRPCError({ code: "UNAUTHORIZED", message: wireMessage(error.code), cause: error });
}

/** The `data` fields sessionkit adds to a tRPC error shape. */
export interface SessionErrorData {
  /** The SessionError code, when the error came from a session check. */
  sessionCode?: SessionErrorCode;
  /** With `sessionCode` `"INVALID_CLAIM"`: the validators that failed. */
  claimValidationErrors?: readonly ClaimValidationError[];
}

/**
 * A tRPC `errorFormatter` that puts the session code in `error.data.sessionCode`, so clients
 * (and `sessionRefreshLink`) can tell "refresh and retry" from "signed out". It also gives a
 * SessionError thrown anywhere in a procedure its session status (401 by default, 500 for a
 * store outage) instead of tRPC's generic 500. Use it as `errorFormatter`, or call it inside
 * your own formatter with the same options.
 */
export function sessionErrorFormatter<TShape extends { code: number; data: object }>(opts: {
  shape: TShape;
  error: unknown;
}): TShape & { data: SessionErrorData } {
  const { shape } = opts;
  const sessionError = sessionErrorIn(opts.error);
  if (!sessionError) return shape;
  formatted(sessionError);
  const data = shape.data as { code?: unknown; httpStatus?: unknown };
  // JSON-RPC codes of tRPC: UNAUTHORIZED = -32001, FORBIDDEN = -32003, INTERNAL_SERVER_ERROR = -32603.
  const [code, name] =
    sessionError.code === "GENERAL_ERROR"
      ? [-32603, "INTERNAL_SERVER_ERROR"]
      : sessionError.code === "INVALID_CLAIM"
        ? [-32003, "FORBIDDEN"]
        : [-32001, "UNAUTHORIZED"];
  return {
    ...shape,
    code,
    data: {
      ...shape.data,
      ...(typeof data.code === "string" ? { code: name } : {}),
      ...(typeof data.httpStatus === "number" ? { httpStatus: sessionError.status } : {}),
      sessionCode: sessionError.code,
      ...(sessionError.code === "INVALID_CLAIM" ? { claimValidationErrors: sessionError.claimValidationErrors } : {}),
    },
  };
}

/**
 * A tRPC `responseMeta` that gives a whole batch the status of its session failure: a batch
 * mixing a public call that succeeded and a protected call that failed with `TRY_REFRESH_TOKEN`
 * answers 401 (not tRPC's 207), because the SuperTokens SDK looks only at the status. Every
 * call's own result is still in the body. A store outage in any call makes it a 500. Pass it as
 * the adapter's `responseMeta`, or call it inside yours. Streamed responses (their head leaves
 * before any result) keep their status.
 */
export function sessionResponseMeta(opts: { errors: readonly unknown[]; eagerGeneration?: boolean }): { status?: number } {
  if (opts.eagerGeneration) return {};
  let status: number | undefined;
  for (const error of opts.errors) {
    const sessionError = sessionErrorIn(error);
    if (!sessionError) continue;
    if (sessionError.code === "GENERAL_ERROR") return { status: 500 };
    // A 401 outranks a 403: the SDK must still refresh for the calls that need it.
    if (status === undefined || (status === 403 && sessionError.code !== "INVALID_CLAIM")) status = sessionError.status;
  }
  return status === undefined ? {} : { status };
}
