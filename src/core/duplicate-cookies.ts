// Two auth cookies of one name at refresh (cookie tossing by a sibling subdomain, or cookies left
// from an older `cookies.domain`): answered as supertokens-node 24 answers them, so the
// SuperTokens SDKs behave as their own tests expect. Which duplicate is ours cannot be told, so
// none is served: rotating the first one would write a tossed session into our cookies.

import { SessionError } from "./errors.js";
import { ACCESS_COOKIE, REFRESH_COOKIE, cookieToken } from "./header-transport.js";
import type { ResponseWriter, SessionRequest } from "./http.js";
import type { ResolvedOptions } from "./options.js";
import type { TokenTransport } from "./transport.js";

// supertokens-node's messages: the SDKs' tests look for the first sentence.
const REFUSED =
  "The request contains multiple session cookies. This may happen if you've changed the 'cookieDomain' value in your configuration. " +
  "To clear tokens from the previous domain, set 'cookies.olderCookieDomain' in your config.";
const CLEARED =
  "The request contains multiple session cookies. We are clearing the cookie from olderCookieDomain. Session will be refreshed in the next refresh call.";

/** Duplicate-cookie errors and whether the response already clears the older Domain's cookies. */
const outcomes = new WeakMap<SessionError, "cleared" | "refused">();

/**
 * Throws when the refresh request carries two cookies of one auth name. With
 * `cookies.olderCookieDomain` the response clears that Domain's copies (the refresh route then
 * answers 200 and the SDK retries with the one left); without it the refresh fails with 500,
 * never a 401 that would log the user out and leave the tossed cookie in charge.
 */
export function refuseDuplicateCookies(
  options: Pick<ResolvedOptions, "cookies">,
  transport: TokenTransport,
  request: SessionRequest,
  writer: ResponseWriter,
): void {
  const duplicated = [ACCESS_COOKIE, REFRESH_COOKIE].filter((name) => cookieToken(request, name).duplicated);
  if (duplicated.length === 0) return;
  const older = options.cookies.olderCookieDomain;
  if (older !== undefined && !writer.sent) transport.clearOnDomain(writer, older, duplicated);
  const error = new SessionError("GENERAL_ERROR", older === undefined ? REFUSED : CLEARED, { status: 500 });
  outcomes.set(error, older === undefined ? "refused" : "cleared");
  throw error;
}

/** How the refresh route answers a duplicate-cookie error; undefined for any other error. */
export function duplicateCookiesAnswer(error: unknown): { status: number; message: string } | undefined {
  const outcome = error instanceof SessionError ? outcomes.get(error) : undefined;
  if (outcome === undefined) return undefined;
  return { status: outcome === "cleared" ? 200 : 500, message: (error as SessionError).message };
}
