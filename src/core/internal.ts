// What the adapters in this package (tRPC, GraphQL) need from the core beyond the public API.
// Not exported from the package root.

import { wireMessage } from "./errors.js";
import type { SessionRequest } from "./http.js";
import { claimsOf, type Session } from "./session.js";
import { type Sessions, engineOf } from "./sessions.js";

export { markResponseSent } from "./http.js";
export { engineOf, wireMessage };

/** Runs the configured anti-CSRF check for a session obtained with `antiCsrfCheck: false`. */
export function checkAntiCsrf(sessions: Sessions, request: SessionRequest, session: Session): void {
  engineOf(sessions).checkAntiCsrf(request, claimsOf(session));
}
