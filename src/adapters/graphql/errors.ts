// The one place where a SessionError becomes a GraphQLError: 401 UNAUTHENTICATED with the
// session code (so the SuperTokens SDK refreshes), or a 500 that Yoga's error masking hides.

import { GraphQLError, type ExecutionResult } from "graphql";
import { type ClaimValidationError, type SessionError, isSessionError } from "../../core/errors.js";
import { reportRefusal, wireMessage } from "../../core/internal.js";

/** What sessionkit puts in `extensions` of a session failure. */
export interface SessionErrorExtensions {
  /**
   * `"UNAUTHENTICATED"` for a missing or unusable session, `"FORBIDDEN"` for a session that fails
   * an `@auth(requires: …)` policy, `"INTERNAL_SERVER_ERROR"` for a store outage.
   */
  code: "UNAUTHENTICATED" | "FORBIDDEN" | "INTERNAL_SERVER_ERROR";
  /** With `FORBIDDEN`: the validators that failed. */
  claimValidationErrors?: readonly ClaimValidationError[];
  /** The `SessionError` code behind it. */
  sessionCode: SessionError["code"];
  /** Read by Yoga to pick the HTTP status of the response. */
  http: { status: number };
}

/** Where an error points in the operation (a GraphQLError's own location fields). */
type Location = Partial<Pick<GraphQLError, "nodes" | "source" | "positions" | "path">>;

/**
 * Translates a SessionError into a GraphQLError. Session failures carry no `originalError`, so
 * Yoga's masking leaves them readable; a store outage keeps its SessionError as `originalError`,
 * so Yoga masks its message (and logs it server-side) while `extensions.http` keeps the 500.
 */
export function toGraphQLError(error: SessionError, at?: Location): GraphQLError {
  const location = at ? { nodes: at.nodes, source: at.source, positions: at.positions, path: at.path } : {};
  if (error.code === "GENERAL_ERROR") {
    return new GraphQLError(wireMessage(error.code), {
      ...location,
      originalError: error,
      extensions: { code: "INTERNAL_SERVER_ERROR", sessionCode: error.code, http: { status: 500 } },
    });
  }
  reportRefusal(error);
  const extensions: SessionErrorExtensions =
    error.code === "INVALID_CLAIM"
      ? { code: "FORBIDDEN", sessionCode: error.code, claimValidationErrors: error.claimValidationErrors, http: { status: error.status } }
      : { code: "UNAUTHENTICATED", sessionCode: error.code, http: { status: error.status } };
  const refusal = new GraphQLError(wireMessage(error.code), { ...location, extensions: { ...extensions } });
  // The reason, for server-side logs only: not `originalError` (Yoga would mask the 401) and not
  // enumerable, so it never reaches the response body.
  Object.defineProperty(refusal, "cause", { value: error, enumerable: false, configurable: true });
  return refusal;
}

/** The SessionError somewhere in a GraphQLError's `originalError` chain, if any. */
function sessionErrorIn(error: GraphQLError): SessionError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (isSessionError(current)) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

function statusOf(error: GraphQLError): number | undefined {
  const http = error.extensions?.http as { status?: unknown } | undefined;
  return typeof http?.status === "number" ? http.status : undefined;
}

/**
 * Rewrites the errors of one result that come from a SessionError (thrown by any resolver, not
 * only behind `@auth`) and reports their HTTP status. Returns undefined when nothing changed.
 */
export function translateResult(result: ExecutionResult, onStatus: (status: number) => void): ExecutionResult | undefined {
  if (!result.errors?.length) return undefined;
  let changed = false;
  const errors = result.errors.map((error) => {
    if (typeof error.extensions?.sessionCode === "string") {
      const status = statusOf(error);
      if (status !== undefined) onStatus(status);
      return error;
    }
    const cause = sessionErrorIn(error);
    if (!cause) return error;
    changed = true;
    const translated = toGraphQLError(cause, error);
    onStatus(statusOf(translated) ?? 500);
    return translated;
  });
  return changed ? { ...result, errors } : undefined;
}
