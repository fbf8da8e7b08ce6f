// What the adapters in this package (tRPC, GraphQL) need from the core beyond the public API.
// Not exported from the package root.

import { type ConnectionAuth, authenticateConnection } from "./connection.js";
import type { NewSessionInput } from "./engine.js";
import { type SessionError, wireMessage } from "./errors.js";
import { ResponseWriter, type SessionRequest, type SessionResponse, markResponseSent } from "./http.js";
import { createNewSession } from "./lifecycle.js";
import { Session, claimsOf } from "./session.js";
import { type Sessions, engineOf } from "./sessions.js";

export { markResponseSent };
export { noteConnection } from "./remote-address.js";
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

/**
 * The session of a raw access token, without a request: header mode's WebSocket
 * `connectionParams.accessToken`. Throws the `SessionError` a request carrying it as
 * `Authorization: Bearer` would get (UNAUTHORISED when it is not an access token, TRY_REFRESH_TOKEN
 * when expired or bad, UNAUTHORISED when revoked). Calls that write tokens (`updateJWTPayload`,
 * `revokeSession`) write header-mode headers to `response`, or fail loudly without one.
 */
export async function sessionFromAccessToken(sessions: Sessions, token: unknown, response?: SessionResponse): Promise<Session> {
  const engine = engineOf(sessions);
  let target = response;
  if (target === undefined) {
    target = new Headers();
    markResponseSent(target);
  }
  const writer = new ResponseWriter(target, "header");
  const claims = await engine.verifyAccessToken(token, writer);
  return new Session(engine, claims, writer);
}

/** The session of a WebSocket connection, from its upgrade request and `connectionParams` (see connection.ts). */
export function connectionSession(sessions: Sessions, request: SessionRequest, connectionParams: unknown): Promise<ConnectionAuth> {
  return authenticateConnection(engineOf(sessions), request, connectionParams);
}

/**
 * Whether a session verified when its connection opened still holds, before each operation on
 * that connection: undefined, or the SessionError. From memory with "notify" (0 queries).
 */
export function recheckSession(sessions: Sessions, session: Session): SessionError | undefined | Promise<SessionError | undefined> {
  return engineOf(sessions).live.check(claimsOf(session));
}
