// The context fields `useSessions` adds, and the narrowed type resolvers behind `@auth` see.

import type { NewSessionInput } from "../../core/engine.js";
import type { SessionError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import type { Sessions } from "../../core/sessions.js";
import type { JsonObject } from "../../core/store.js";

/**
 * What `useSessions` adds to the GraphQL context of every operation. `P` is the access-token
 * payload type of the sessions (`createSessions<P>()`).
 */
export interface SessionContext<P extends JsonObject = JsonObject> {
  /** The request's session, or undefined when there is none or it cannot be used (see `sessionError`). */
  session: Session<P> | undefined;
  /**
   * Why `session` is undefined: `UNAUTHORISED` (no access token, or a revoked session),
   * `TRY_REFRESH_TOKEN` (expired or bad token, failed anti-CSRF check on a mutation) or
   * `GENERAL_ERROR` (the store failed). Undefined when there is a session.
   */
  sessionError: SessionError | undefined;
  /** Starts a session on this response (sign-in) and makes it this operation's `session`. */
  createNewSession(input: NewSessionInput<P>): Promise<Session<P>>;
  /** The `createSessions` instance. */
  sessions: Sessions<P>;
}

/** The payload type a context's sessions carry. */
type PayloadOf<TContext> = TContext extends SessionContext<infer P> ? P : JsonObject;

/**
 * The context of a resolver behind `@auth`: the same, with a `Session<P>` that is always there.
 * `P` defaults to the payload type of `TContext`'s sessions.
 */
export type AuthedContext<
  // biome-ignore lint/suspicious/noExplicitAny: a context of any payload type
  TContext extends SessionContext<any> = SessionContext,
  P extends JsonObject = PayloadOf<TContext>,
> = TContext & { session: Session<P> };

/** True when a context was built by `useSessions` (guards against a missing plugin). */
export function isSessionContext(context: unknown): context is SessionContext {
  return (
    typeof context === "object" &&
    context !== null &&
    "sessions" in context &&
    typeof (context as { createNewSession?: unknown }).createNewSession === "function"
  );
}
