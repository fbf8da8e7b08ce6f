// `requireSession()`: the tRPC middleware behind `protectedProcedure`. It composes with the
// user's own `initTRPC` and middlewares (`t.procedure.use(requireSession())`), it does not wrap.

import { TRPCError, type TRPCMiddlewareFunction } from "@trpc/server";
import { recheckSession } from "../../core/internal.js";
import type { ClaimValidator } from "../../core/claims.js";
import { isSessionError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import type { JsonObject } from "../../core/store.js";
import { type SessionContext, sessionFor, sessionMiddlewares, sessionStateOf } from "./context.js";
import { sessionErrorIn, toTRPCError } from "./errors.js";
import { endWithSession } from "./subscription.js";

/** Options of {@link requireSession}. */
export interface RequireSessionOptions {
  /**
   * Force the anti-CSRF check on (`true`) or off (`false`) for these procedures. Default: the
   * policy of `createSessionContext` (mutations and non-GET requests are checked).
   */
  antiCsrfCheck?: boolean;
  /**
   * Claim validators the session must pass (`[roles.includes("admin")]`, `[freshSession(300)]`):
   * otherwise `TRPCError` `FORBIDDEN` (403), `error.data.sessionCode` `"INVALID_CLAIM"` and
   * `error.data.claimValidationErrors`. Checked on the verified token: no query.
   */
  claims?: readonly ClaimValidator[];
}

/**
 * The middleware `requireSession()` returns: it narrows `ctx.session` to `Session<P>`. `P` is
 * inferred from the procedure's context (tRPC passes it as the contextual type), so
 * `t.procedure.use(requireSession())` needs no type argument.
 */
export type RequireSessionMiddleware<P extends JsonObject = JsonObject> = TRPCMiddlewareFunction<
  SessionContext<P>,
  // biome-ignore lint/suspicious/noExplicitAny: any user meta type
  any,
  object,
  { session: Session<P> },
  unknown
>;

/**
 * Lets a call through only with a valid session: behind it `ctx.session` is a `Session` (the
 * type narrows). Otherwise it throws `TRPCError` `UNAUTHORIZED` (401) whose `cause` is the
 * `SessionError` (`TRY_REFRESH_TOKEN` for an expired or bad token or a failed anti-CSRF check,
 * `UNAUTHORISED` otherwise). A SessionError thrown later in the procedure (for example the
 * session was revoked meanwhile) gets the same translation.
 */
export function requireSession<P extends JsonObject = JsonObject>(options: RequireSessionOptions = {}): RequireSessionMiddleware<P> {
  const claims = options.claims?.length ? [...options.claims] : undefined;
  if (claims?.some((v) => typeof v?.validate !== "function")) {
    throw new TypeError('sessionkit: requireSession({ claims }) takes validators such as roles.includes("admin") or freshSession(300)');
  }
  const middleware: RequireSessionMiddleware<P> = async ({ ctx, type, next }) => {
    const state = sessionStateOf(ctx);
    if (!state) {
      throw new TRPCError({
        code: "INTERNAL_SERVER_ERROR",
        message: "sessionkit: requireSession() needs a context made by createSessionContext() (spread it into yours)",
      });
    }
    const decided = sessionFor(state, type, options.antiCsrfCheck);
    if (decided.failure) throw toTRPCError(decided.failure);
    if (state.connection) {
      // The connection was authenticated once; each call re-checks (0 queries with "notify").
      const stale = await recheckSession(state.sessions, decided.session);
      if (stale) throw toTRPCError(stale);
    }
    if (claims) {
      try {
        decided.session.assertClaims(claims);
      } catch (error) {
        throw isSessionError(error) ? toTRPCError(error) : error;
      }
    }
    // The context usually holds this very session already: `next()` without a ctx then spares
    // tRPC a copy of the whole context, an object spread on every protected call.
    const result =
      ctx.session === decided.session
        ? ((await next()) as Awaited<ReturnType<typeof next<{ session: Session<P> }>>>)
        : await next({ ctx: { session: decided.session as Session<P> } });
    if (result.ok && type === "subscription") return { ...result, data: endWithSession(result.data, decided.session.signal) };
    if (!result.ok) {
      const sessionError = sessionErrorIn(result.error);
      // A session call inside the procedure failed: report it as a session error (401 / 500), not a generic 500.
      if (sessionError && result.error.code === "INTERNAL_SERVER_ERROR" && sessionError.code !== "GENERAL_ERROR") {
        return { ...result, error: toTRPCError(sessionError) };
      }
    }
    return result;
  };
  sessionMiddlewares.set(middleware, { antiCsrfCheck: options.antiCsrfCheck });
  return middleware;
}
