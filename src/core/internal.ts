// What the adapters in this package (tRPC, GraphQL) need from the core beyond the public API.
// Not exported from the package root.

import type { NewSessionInput } from "./engine.js";
import { wireMessage } from "./errors.js";
import type { SessionRequest, SessionResponse } from "./http.js";
import { createNewSession } from "./lifecycle.js";
import { claimsOf, type Session } from "./session.js";
import { type Sessions, engineOf } from "./sessions.js";

export { markResponseSent } from "./http.js";
export { diagnosticsOf, reportRefusal } from "./diagnostics.js";
export { engineOf, wireMessage };

/** Runs the configured anti-CSRF check for a session obtained with `antiCsrfCheck: false`. */
export function checkAntiCsrf(sessions: Sessions, request: SessionRequest, session: Session): void {
  engineOf(sessions).checkAntiCsrf(request, claimsOf(session));
}

/**
 * Sign-in from an adapter's context: the request always goes to the core (login-CSRF check,
 * device metadata), the check runs when the adapter's anti-CSRF policy applies to the call.
 */
export function createSessionFrom(
  sessions: Sessions,
  input: NewSessionInput,
  response: SessionResponse,
  request: SessionRequest,
  antiCsrfCheck: boolean,
): Promise<Session> {
  return createNewSession(engineOf(sessions), input, response, request, { antiCsrfCheck });
}
