// The context fields `useSessions` adds, and the narrowed type resolvers behind `@auth` see.

import type { NewSessionInput } from "../../core/engine.js";
import type { SessionError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import type { Sessions } from "../../core/sessions.js";

/** What `useSessions` adds to the GraphQL context of every operation. */
export interface SessionContext {
  /** The request's session, or undefined when there is none or it cannot be used (see `sessionError`). */
  session: Session | undefined;
  /**
   * Why `session` is undefined: `UNAUTHORISED` (no access token, or a revoked session),
   * `TRY_REFRESH_TOKEN` (expired or bad token, failed anti-CSRF check on a mutation) or
   * `GENERAL_ERROR` (the store failed). Undefined when there is a session.
   */
  sessionError: SessionError | undefined;
  /** Starts a session on this response (sign-in) and makes it this operation's `session`. */
  createNewSession(input: NewSessionInput): Promise<Session>;
  /** The `createSessions` instance. */
  sessions: Sessions;
}

/** The context of a resolver behind `@auth`: the same, with a `Session` that is always there. */
export type AuthedContext<TContext extends SessionContext = SessionContext> = TContext & { session: Session };

/** True when a context was built by `useSessions` (guards against a missing plugin). */
export function isSessionContext(context: unknown): context is SessionContext {
  return (
    typeof context === "object" &&
    context !== null &&
    "sessions" in context &&
    typeof (context as { createNewSession?: unknown }).createNewSession === "function"
  );
}
