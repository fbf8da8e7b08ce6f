// sessionkit/next: what the Next.js App Router needs beyond the fetch API. A React Server
// Component cannot set cookies, so it gets a read-only session and is told when the client must
// refresh; a Server Action can set cookies only through Next's `cookies()`, so sessionkit's
// Set-Cookie lines are copied onto it. Nothing here imports `next`: the shapes are structural.

import { type SessionError, isSessionError } from "../../core/errors.js";
import type { SessionRequest } from "../../core/http.js";
import { markResponseSent } from "../../core/internal.js";
import type { Session } from "../../core/session.js";
import type { Sessions } from "../../core/sessions.js";

/** What {@link readSession} finds. */
export interface ServerSession {
  /** The session, read-only: calls that would set cookies (`updateJWTPayload`, `revokeSession`) throw. */
  session: Session | undefined;
  /**
   * True when there is an access token that has expired (or cannot be verified) and a refresh may
   * recover it: render a client component that calls the refresh path, then `router.refresh()`.
   */
  refresh: boolean;
  /** Why there is no session (`UNAUTHORISED`, `TRY_REFRESH_TOKEN`); undefined when there is one or no token at all. */
  error: SessionError | undefined;
}

/** The request headers as Next gives them (`await headers()`), or any object with `get`. */
export interface HeadersLike {
  get(name: string): string | null;
}

/**
 * The session of a React Server Component (or any render that cannot set cookies):
 * `readSession(sessions, await headers())`. Never throws for a missing, expired or bad token
 * (see {@link ServerSession}); a store outage rejects (the page fails with a 500, not a sign-in form).
 */
export async function readSession(sessions: Sessions, headers: HeadersLike): Promise<ServerSession> {
  const response = new Headers();
  // A render's response has already left as far as cookies go: setting one must fail loudly.
  markResponseSent(response);
  const request: SessionRequest = { headers };
  try {
    // No anti-CSRF check: a render reads, it changes nothing (the check belongs to mutations).
    const session = await sessions.getSession(request, response, { sessionRequired: false, antiCsrfCheck: false });
    return { session, refresh: false, error: undefined };
  } catch (error) {
    if (!isSessionError(error) || error.code === "GENERAL_ERROR") throw error;
    return { session: undefined, refresh: error.code === "TRY_REFRESH_TOKEN", error };
  }
}

/** One cookie in the shape of Next's `cookies().set(options)`. */
export interface NextCookie {
  name: string;
  value: string;
  path: string;
  expires: Date;
  maxAge?: number;
  domain?: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: "lax" | "strict" | "none";
}

/** Next's cookie store as `await cookies()` gives it in a Server Action or route handler. */
export interface NextCookieStore {
  set(cookie: NextCookie): unknown;
}

const SAME_SITE = { lax: "lax", strict: "strict", none: "none" } as const;

/** Parses a Set-Cookie line sessionkit wrote (name=value; Path; Expires; Max-Age; Domain; HttpOnly; Secure; SameSite). */
function parseSetCookie(line: string): NextCookie {
  const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
  const eq = pair.indexOf("=");
  const cookie: NextCookie = {
    name: pair.slice(0, eq),
    value: pair.slice(eq + 1),
    path: "/",
    expires: new Date(0),
    httpOnly: false,
    secure: false,
    sameSite: "lax",
  };
  for (const attribute of attributes) {
    const at = attribute.indexOf("=");
    const key = (at === -1 ? attribute : attribute.slice(0, at)).toLowerCase();
    const value = at === -1 ? "" : attribute.slice(at + 1);
    if (key === "path") cookie.path = value;
    else if (key === "expires") cookie.expires = new Date(value);
    else if (key === "max-age") cookie.maxAge = Number(value);
    else if (key === "domain") cookie.domain = value;
    else if (key === "httponly") cookie.httpOnly = true;
    else if (key === "secure") cookie.secure = true;
    else if (key === "samesite") cookie.sameSite = SAME_SITE[value.toLowerCase() as keyof typeof SAME_SITE] ?? "lax";
  }
  return cookie;
}

/**
 * Copies the cookies sessionkit wrote to `from` onto Next's cookie store, in a Server Action or a
 * route handler: `const out = new Headers(); await sessions.createNewSession(input, out);
 * applySessionCookies(out, await cookies())`. Response headers other than cookies (`front-token`)
 * cannot leave a Server Action; the SuperTokens SDK and `sessionRefreshLink` do without them.
 */
export function applySessionCookies(from: Headers, to: NextCookieStore): void {
  for (const line of from.getSetCookie()) to.set(parseSetCookie(line));
}
