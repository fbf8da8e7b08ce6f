// What the adapters in this package (tRPC, GraphQL) need from the core beyond the public API.
// Not exported from the package root.

import { wireMessage } from "./errors.js";
import { type SessionRequest, readHeader } from "./http.js";
import { claimsOf, type Session } from "./session.js";
import { type Sessions, engineOf } from "./sessions.js";

export { markResponseSent } from "./http.js";
export { engineOf, wireMessage };

/** Runs the configured anti-CSRF check for a session obtained with `antiCsrfCheck: false`. */
export function checkAntiCsrf(sessions: Sessions, request: SessionRequest, session: Session): void {
  engineOf(sessions).checkAntiCsrf(request, claimsOf(session));
}

/**
 * Login CSRF: a cross-site form can post to a sign-in mutation and plant the attacker's session
 * in the victim's browser. A form cannot send a custom header, so with anti-CSRF on (any mode
 * but "none") starting a session from a request needs the `rid` header the SDK and our clients
 * always send.
 */
export function checkSignInRequest(sessions: Sessions, request: SessionRequest): void {
  const engine = engineOf(sessions);
  if (engine.options.antiCsrf !== "none" && readHeader(request, "rid") === undefined) {
    throw engine.error("UNAUTHORISED", "anti-CSRF check failed: starting a session needs the rid header");
  }
}
