// Header mode, the other half of the SuperTokens protocol (`tokenTransferMethod: "header"`):
// which transfer method a request uses, reading `Authorization: Bearer …`, and writing the
// `st-access-token` / `st-refresh-token` response headers. Bytes from supertokens-node 24
// (recipe/session/cookieAndHeaders.ts, constants.ts, sessionRequestFunctions.ts).

import { decodeJwt } from "jose";
import { readCookies } from "./cookies.js";
import { type ResponseWriter, type SessionRequest, readHeader } from "./http.js";

/** How one session's tokens travel: HttpOnly cookies, or response headers and `Authorization`. */
export type TransferMethod = "cookie" | "header";
/** Which transfer methods a deployment accepts; `"any"` lets each client choose at sign-in. */
export type TokenTransfer = "any" | TransferMethod;

export const ACCESS_COOKIE = "sAccessToken";
export const REFRESH_COOKIE = "sRefreshToken";
export const ACCESS_HEADER = "st-access-token";
export const REFRESH_HEADER = "st-refresh-token";
const AUTH_MODE_HEADER = "st-auth-mode";
/** Longest `Authorization` value we look at (a 16 KB access token plus the scheme). */
const MAX_AUTHORIZATION = 16 * 1024 + 64;

/**
 * The request's cookie of `name`. An empty cookie counts as none (WIRE.md). Two or more (another
 * Domain or Path: a sibling subdomain tossing its own, or cookies left from an older `domain`)
 * are flagged: the browser's order says nothing about which is ours, so none is served.
 */
export function cookieToken(request: SessionRequest, name: string): { value: string | undefined; duplicated: boolean } {
  const values = readCookies(readHeader(request, "cookie"), name);
  let value: string | undefined;
  let count = 0;
  for (const v of values) {
    if (v === "") continue;
    value ??= v;
    count++;
  }
  return { value, duplicated: count > 1 };
}

/** The token of `Authorization: Bearer <token>` exactly as supertokens-node's `getToken` reads it. */
export function bearerToken(request: SessionRequest): string | undefined {
  const value = readHeader(request, "authorization");
  if (value === undefined || value.length > MAX_AUTHORIZATION || !value.startsWith("Bearer ")) return undefined;
  const token = value.replace(/^Bearer /, "").trim();
  return token.length > 0 ? token : undefined;
}

/**
 * True when a string has the shape of one of our access tokens (a JWT whose payload names a user
 * and a session). Like supertokens-node (`validateAccessTokenStructure`), a Bearer value of any
 * other shape (an API key, another system's token, our refresh token) is not ours: it is ignored,
 * so it neither breaks a cookie session nor passes for a session.
 */
export function isAccessTokenShaped(token: string): boolean {
  try {
    const payload = decodeJwt(token);
    return (
      typeof payload.sub === "string" &&
      typeof payload.sessionHandle === "string" &&
      typeof payload.exp === "number" &&
      typeof payload.iat === "number"
    );
  } catch {
    return false;
  }
}

/** Which transfer methods `allowed` includes, header first (the order supertokens-node checks them in). */
function methods(allowed: TokenTransfer): TransferMethod[] {
  return allowed === "any" ? ["header", "cookie"] : [allowed];
}

/**
 * The request's access token and how it came: the `Authorization` header wins over the cookie
 * when both are there (supertokens-node `getAccessTokenFromRequest`).
 */
export function accessTokenOf(
  request: SessionRequest,
  allowed: TokenTransfer,
): { token: string; method: TransferMethod; duplicated?: boolean } | undefined {
  for (const method of methods(allowed)) {
    if (method === "header") {
      const token = bearerToken(request);
      if (token !== undefined && isAccessTokenShaped(token)) return { token, method };
    } else {
      const { value, duplicated } = cookieToken(request, ACCESS_COOKIE);
      if (value) return { token: value, method, duplicated };
    }
  }
  return undefined;
}

/** The refresh token: `Authorization: Bearer <refresh token>` first, then the refresh cookie (`refreshSessionInRequest`). */
export function refreshTokenOf(request: SessionRequest, allowed: TokenTransfer): { token: string; method: TransferMethod } | undefined {
  for (const method of methods(allowed)) {
    const token = method === "header" ? bearerToken(request) : cookieToken(request, REFRESH_COOKIE).value;
    if (token) return { token, method };
  }
  return undefined;
}

/** Whether the request carries a `kind` token in `method` (what a response switching methods clears). */
export function carriesToken(request: SessionRequest, method: TransferMethod, kind: "access" | "refresh"): boolean {
  if (method === "header") return bearerToken(request) !== undefined;
  return cookieToken(request, kind === "access" ? ACCESS_COOKIE : REFRESH_COOKIE).value !== undefined;
}

/**
 * How a new session's tokens go out. `"any"`: headers for a client that asks with
 * `st-auth-mode: header` (the SDKs' `tokenTransferMethod: "header"`), cookies for everyone else
 * (API.md; supertokens-node would pick headers when the header is absent, but sessionkit's own
 * and older clients send none and expect cookies).
 */
export function transferForNewSession(request: SessionRequest | undefined, allowed: TokenTransfer): TransferMethod {
  if (allowed !== "any") return allowed;
  const mode = request === undefined ? undefined : readHeader(request, AUTH_MODE_HEADER)?.toLowerCase();
  return mode === "header" ? "header" : "cookie";
}

/** `setHeader` of supertokens-node: the header, and its name in Access-Control-Expose-Headers. */
export function writeTokenHeader(writer: ResponseWriter, name: typeof ACCESS_HEADER | typeof REFRESH_HEADER, value: string): void {
  writer.setHeader(name, value);
  writer.addToList("access-control-expose-headers", [name]);
}

/** Header-mode clearing (`clearSession(…, "header")`): both token headers present and empty. */
export function clearTokenHeaders(writer: ResponseWriter): void {
  writeTokenHeader(writer, ACCESS_HEADER, "");
  writeTokenHeader(writer, REFRESH_HEADER, "");
}
