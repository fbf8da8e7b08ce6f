// How tokens travel: the two cookies, or the `st-access-token` / `st-refresh-token` headers of
// header mode (header-transport.ts), plus the front-token and anti-csrf headers (WIRE.md).

import { frontToken, frontTokenOfJson } from "./access-token.js";
import { type CookieAttributes, serializeCookie } from "./cookies.js";
import {
  ACCESS_COOKIE,
  ACCESS_HEADER,
  REFRESH_COOKIE,
  REFRESH_HEADER,
  type TransferMethod,
  clearTokenHeaders,
} from "./header-transport.js";
import type { ResponseWriter } from "./http.js";
import type { ResolvedOptions } from "./options.js";
import type { JsonObject } from "./store.js";

export { ACCESS_COOKIE, REFRESH_COOKIE };
const EXPOSED = ["front-token", "anti-csrf"] as const;
const EXPOSED_HEADER_MODE = ["front-token", ACCESS_HEADER, "anti-csrf"] as const;
const EXPOSED_HEADER_MODE_BOTH = ["front-token", ACCESS_HEADER, REFRESH_HEADER, "anti-csrf"] as const;
/** The access cookie outlives the JWT on purpose: the JWT's `exp` is what counts. */
const ACCESS_COOKIE_LIFETIME_MS = 100 * 365 * 24 * 3600 * 1000;
const EPOCH = new Date(0);

export interface IssuedAccess {
  token: string;
  userId: string;
  exp: number;
  fullPayload: JsonObject;
  /** `JSON.stringify(fullPayload)` when the signer made it already (the front-token reuses it). */
  payloadJson?: string | undefined;
  antiCsrfToken: string | undefined;
}

export class TokenTransport {
  readonly refreshPath: string;

  constructor(private readonly options: ResolvedOptions) {
    this.refreshPath = `${options.basePath}/session/refresh`;
  }

  private attributes(path: string, expires: Date | undefined, domain = this.options.cookies.domain): CookieAttributes {
    const { secure, sameSite } = this.options.cookies;
    return { path, expires, httpOnly: true, secure, sameSite, domain };
  }

  /** Clears the named auth cookies on another Domain (the `olderCookieDomain`), at their usual paths. */
  clearOnDomain(writer: ResponseWriter, domain: string, names: readonly string[]): void {
    for (const name of names) {
      const path = name === REFRESH_COOKIE ? this.refreshPath : "/";
      writer.setCookie(serializeCookie(name, "", this.attributes(path, EPOCH, domain)));
    }
  }

  /**
   * Writes a new access token (and, when given, a new refresh token) in the writer's transfer
   * method. With `remember` false (the session's remember-me choice) both cookies go without
   * Expires/Max-Age: they last for the browser session only.
   */
  write(writer: ResponseWriter, access: IssuedAccess, refresh?: { token: string; expiresAt: Date }, remember = true): void {
    const front =
      access.payloadJson === undefined
        ? frontToken(access.userId, access.exp, access.fullPayload)
        : frontTokenOfJson(access.userId, access.exp, access.payloadJson);
    writer.setHeader("front-token", front);
    // Access-Control-Expose-Headers in the order the names were always added, written once
    // (each write reads, splits and validates the header again).
    let exposed: readonly string[] = EXPOSED;
    if (writer.transfer === "header") {
      writer.setHeader(ACCESS_HEADER, access.token);
      if (refresh) writer.setHeader(REFRESH_HEADER, refresh.token);
      exposed = refresh ? EXPOSED_HEADER_MODE_BOTH : EXPOSED_HEADER_MODE;
    } else {
      const now = this.options.now();
      const accessExpires = remember ? new Date(now + ACCESS_COOKIE_LIFETIME_MS) : undefined;
      const accessLine = serializeCookie(ACCESS_COOKIE, access.token, this.attributes("/", accessExpires));
      if (refresh) {
        const refreshExpires = remember ? refresh.expiresAt : undefined;
        writer.setCookies([accessLine, serializeCookie(REFRESH_COOKIE, refresh.token, this.attributes(this.refreshPath, refreshExpires))]);
      } else writer.setCookie(accessLine);
      // supertokens-node's exposeAccessTokenToFrontendInCookieBasedAuth: the SDK's getAccessToken() reads this header.
      if (this.options.exposeAccessTokenToFrontendInCookieBasedAuth) {
        writer.setHeader(ACCESS_HEADER, access.token);
        exposed = EXPOSED_HEADER_MODE;
      }
    }
    if (access.antiCsrfToken !== undefined) writer.setHeader("anti-csrf", access.antiCsrfToken);
    writer.addToList("access-control-expose-headers", exposed);
  }

  /**
   * Clears the session on the client in each of `methods` (default: the writer's): cookies
   * expired, or empty token headers; always `front-token: remove` and no anti-csrf.
   */
  clear(writer: ResponseWriter, methods: readonly TransferMethod[] = [writer.transfer]): void {
    for (const method of methods) {
      if (method === "header") clearTokenHeaders(writer);
      else {
        writer.setCookie(serializeCookie(ACCESS_COOKIE, "", this.attributes("/", EPOCH)));
        writer.setCookie(serializeCookie(REFRESH_COOKIE, "", this.attributes(this.refreshPath, EPOCH)));
      }
    }
    writer.setHeader("front-token", "remove");
    writer.removeHeader("anti-csrf");
    writer.addToList("access-control-expose-headers", EXPOSED);
  }

  /** Every transfer method this deployment accepts: what an error that ends the session clears (supertokens-node clears all). */
  get allMethods(): readonly TransferMethod[] {
    const allowed = this.options.tokenTransfer;
    return allowed === "any" ? ["cookie", "header"] : [allowed];
  }
}
