// How tokens travel: the two cookies, the front-token and anti-csrf headers (WIRE.md).

import { frontToken } from "./access-token.js";
import { type CookieAttributes, serializeCookie } from "./cookies.js";
import type { ResponseWriter } from "./http.js";
import type { ResolvedOptions } from "./options.js";
import type { JsonObject } from "./store.js";

export const ACCESS_COOKIE = "sAccessToken";
export const REFRESH_COOKIE = "sRefreshToken";
const EXPOSED = ["front-token", "anti-csrf"] as const;
/** The access cookie outlives the JWT on purpose: the JWT's `exp` is what counts. */
const ACCESS_COOKIE_LIFETIME_MS = 100 * 365 * 24 * 3600 * 1000;
const EPOCH = new Date(0);

export interface IssuedAccess {
  token: string;
  userId: string;
  exp: number;
  fullPayload: JsonObject;
  antiCsrfToken: string | undefined;
}

export class TokenTransport {
  readonly refreshPath: string;

  constructor(private readonly options: ResolvedOptions) {
    this.refreshPath = `${options.basePath}/session/refresh`;
  }

  private attributes(path: string, expires: Date): CookieAttributes {
    const { secure, sameSite, domain } = this.options.cookies;
    return { path, expires, httpOnly: true, secure, sameSite, domain };
  }

  /** Writes a new access token (and, when given, a new refresh token) to the response. */
  write(writer: ResponseWriter, access: IssuedAccess, refresh?: { token: string; expiresAt: Date }): void {
    const now = this.options.now();
    writer.setCookie(serializeCookie(ACCESS_COOKIE, access.token, this.attributes("/", new Date(now + ACCESS_COOKIE_LIFETIME_MS))));
    if (refresh) writer.setCookie(serializeCookie(REFRESH_COOKIE, refresh.token, this.attributes(this.refreshPath, refresh.expiresAt)));
    writer.setHeader("front-token", frontToken(access.userId, access.exp, access.fullPayload));
    if (access.antiCsrfToken !== undefined) writer.setHeader("anti-csrf", access.antiCsrfToken);
    writer.addToList("access-control-expose-headers", EXPOSED);
  }

  /** Clears the session on the client: both cookies expired, `front-token: remove`, no anti-csrf. */
  clear(writer: ResponseWriter): void {
    writer.setCookie(serializeCookie(ACCESS_COOKIE, "", this.attributes("/", EPOCH)));
    writer.setCookie(serializeCookie(REFRESH_COOKIE, "", this.attributes(this.refreshPath, EPOCH)));
    writer.setHeader("front-token", "remove");
    writer.removeHeader("anti-csrf");
    writer.addToList("access-control-expose-headers", EXPOSED);
  }
}
