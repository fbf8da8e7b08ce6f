// The session of a long-lived connection (a WebSocket), authenticated once from its upgrade
// request: the access token from `connectionParams.accessToken` (header mode) or the cookie.
// A cookie is ambient, so a page on any origin could open the socket with the victim's cookie
// (cross-site WebSocket hijacking, security finding 19.2): a cookie session is given only to an
// upgrade from an allowed origin (the CORS origins, or the server's own host), or one that proves
// it could read the anti-CSRF token ("via-token": `connectionParams.antiCsrf`).

import type { Engine } from "./engine.js";
import { type SessionError, isSessionError } from "./errors.js";
import { ResponseWriter, type SessionRequest, markResponseSent, readHeader } from "./http.js";
import { Session } from "./session.js";
import { timingSafeEqual } from "./encoding.js";
import { accessTokenOf } from "./header-transport.js";

/** Longest `connectionParams` value read (an access token is far shorter). */
const MAX_PARAM_LENGTH = 16 * 1024;

/** A connection's session, or why it has none (`failure` undefined: no token at all). */
export interface ConnectionAuth {
  session: Session | undefined;
  failure: SessionError | undefined;
}

/** Whether an upgrade's `Origin` may carry the cookie session: none (not a browser), the server's own host, or a CORS origin. */
export function originAllowed(engine: Engine, request: SessionRequest): boolean {
  const origin = readHeader(request, "origin");
  if (origin === undefined) return true;
  if (engine.cors?.allows(origin)) return true;
  const host = readHeader(request, "host");
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function param(params: unknown, name: string): { value?: string; bad?: true } {
  if (params === null || typeof params !== "object") return {};
  const value = (params as Record<string, unknown>)[name];
  if (value === undefined || value === null || value === "") return {};
  if (typeof value !== "string" || value.length > MAX_PARAM_LENGTH) return { bad: true };
  return { value };
}

/**
 * Authenticates a connection from its upgrade request and `connectionParams` (any value: it
 * comes from the client). Never throws for bad input; a store outage throws GENERAL_ERROR.
 */
export async function authenticateConnection(engine: Engine, request: SessionRequest, connectionParams: unknown): Promise<ConnectionAuth> {
  // No response to write to: a cookie-setting call on this session fails loudly.
  const closed = new Headers();
  markResponseSent(closed);
  const fail = (error: unknown): ConnectionAuth => {
    if (isSessionError(error) && error.code !== "GENERAL_ERROR") return { session: undefined, failure: error };
    throw error;
  };

  const token = param(connectionParams, "accessToken");
  if (token.bad) return fail(engine.error("TRY_REFRESH_TOKEN", "connectionParams.accessToken must be a string of at most 16 KB"));
  if (token.value !== undefined) {
    // Header mode: the client holds the token itself, which another origin cannot read.
    if (engine.options.tokenTransfer === "cookie")
      return fail(engine.error("UNAUTHORISED", 'header-mode tokens are off (tokenTransfer "cookie")'));
    try {
      const headerWriter = new ResponseWriter(closed, "header");
      return { session: new Session(engine, await engine.verifyAccessToken(token.value, headerWriter), headerWriter), failure: undefined };
    } catch (error) {
      return fail(error);
    }
  }

  let verified: Awaited<ReturnType<Engine["verifyRequest"]>>;
  try {
    verified = await engine.verifyRequest(request, closed, { antiCsrfCheck: false, sessionRequired: false });
  } catch (error) {
    return fail(error);
  }
  if (!verified) return { session: undefined, failure: undefined };
  // Only a cookie is sent by the browser on its own; an Authorization header on the upgrade is not.
  const ambient = accessTokenOf(request, engine.options.tokenTransfer)?.method === "cookie";
  if (ambient && !originAllowed(engine, request)) {
    const sent = param(connectionParams, "antiCsrf").value;
    const expected = verified.claims.antiCsrfToken;
    if (sent === undefined || expected === undefined || !timingSafeEqual(sent, expected)) {
      return fail(engine.error("TRY_REFRESH_TOKEN", "anti-CSRF check failed: a WebSocket upgrade from an origin that is not allowed"));
    }
  }
  return { session: new Session(engine, verified.claims, verified.writer), failure: undefined };
}
