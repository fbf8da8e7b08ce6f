// Access tokens: JWTs signed with the current key from the key ring, verified with no store call.

import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { base64Text, base64url, base64urlText, utf8 } from "./encoding.js";
import type { KeyRing } from "./keys.js";
import type { JsonObject } from "./store.js";
import { TokenCache } from "./token-cache.js";

/** Claim names sessionkit owns; `updateJWTPayload` refuses them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  "sub",
  "exp",
  "iat",
  "nbf",
  "aud",
  "jti",
  "iss",
  "sessionHandle",
  "antiCsrfToken",
  "refreshTokenHash1",
  "parentRefreshTokenHash1",
  "tId",
  "rsub",
  "stt",
  "authTime",
  "skRemember",
]);

/**
 * Longest access token we try to verify: a browser keeps no cookie over 4096 bytes, and the
 * largest realistic token (RS256, a 1 KB custom payload, claims) is about 2.1 KB
 * (test/security/token-cache.test.ts measures it).
 */
export const MAX_TOKEN_LENGTH = 4096;

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Canonical unpadded base64url: no impossible length, no stray bits in the last character. */
function canonicalSegment(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 1) return false;
  if (rest === 0) return true;
  const last = ALPHABET.indexOf(segment[segment.length - 1] ?? "");
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

/**
 * Strict JWS compact syntax, checked before any crypto: exactly three segments of canonical
 * base64url. jose decodes leniently (whitespace, padding, spare bits), so without this one token
 * had thousands of spellings that each verified and took a cache entry of its own.
 */
export function isCanonicalJws(token: string): boolean {
  if (!JWS_COMPACT.test(token)) return false;
  for (const segment of token.split(".")) if (!canonicalSegment(segment)) return false;
  return true;
}
/** Tolerated clock difference for `iat` in the future. */
const IAT_SKEW_SECONDS = 60;

/** The verified claims of an access token. */
export interface AccessClaims {
  userId: string;
  handle: string;
  iat: number;
  exp: number;
  /** When the session was signed in, epoch ms (the `authTime` claim; 0 in tokens minted before 0.2). */
  authTime: number;
  antiCsrfToken: string | undefined;
  /**
   * The session's remember-me choice (the `skRemember: false` claim, absent when true): cookies
   * written later for this session (claims refetch, `updateJWTPayload`) keep it with no store call.
   */
  remember: boolean;
  /** The custom payload only, without reserved claims. */
  payload: JsonObject;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: "expired" | "invalid"; detail: string };

/** Throws a TypeError unless `payload` is a plain JSON object without reserved claims. */
export function assertCustomPayload(payload: unknown, what = "jwtPayload"): asserts payload is JsonObject {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new TypeError(`sessionkit: ${what} must be a plain object`);
  }
  for (const key of Object.keys(payload)) {
    if (RESERVED_CLAIMS.has(key)) {
      throw new TypeError(`sessionkit: ${what} cannot set the reserved claim "${key}"`);
    }
  }
}

export class AccessTokens {
  readonly #cache: TokenCache<AccessClaims>;

  constructor(
    private readonly keys: KeyRing,
    private readonly options: {
      accessTokenTtl: number;
      tokenCacheSize: number;
      now: () => number;
      issuer?: string | undefined;
      maxLifetime?: number | undefined;
    },
    /** Told of every cache lookup of `verify` (the telemetry's hit and miss counters). */
    private readonly onCacheLookup?: (hit: boolean) => void,
    cache?: TokenCache<AccessClaims>,
  ) {
    this.#cache = cache ?? new TokenCache(options.tokenCacheSize);
  }

  /** The same tokens (and verified-token cache) with keys loaded through another ring (`withStore`). */
  withKeys(keys: KeyRing): AccessTokens {
    return new AccessTokens(keys, this.options, this.onCacheLookup, this.#cache);
  }

  /** Entries in the verified-token cache (for tests and metrics). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Whether this exact token is in the verified-token cache (for tests). */
  isCached(token: string): boolean {
    return this.#cache.get(token, this.options.now()) !== undefined;
  }

  /** Signs a new access token; returns it with the full payload the front-token exposes. */
  async sign(input: {
    userId: string;
    handle: string;
    payload: JsonObject;
    antiCsrfToken: string | undefined;
    /** Sign-in time, epoch ms: carried so `getAuthTime()` needs no query. */
    authTime: number;
    /** false: the session's cookies last for the browser session only (default true). */
    remember?: boolean | undefined;
  }): Promise<{ token: string; claims: AccessClaims; fullPayload: JsonObject; payloadJson: string }> {
    const { kid, algorithm, sign } = await this.keys.signingKey();
    const iat = Math.floor(this.options.now() / 1000);
    let exp = iat + this.options.accessTokenTtl;
    // maxLifetime: no access token outlives the session's absolute end (unknown for 0.1 tokens: authTime 0).
    const { maxLifetime } = this.options;
    if (maxLifetime !== undefined && input.authTime > 0) exp = Math.min(exp, Math.floor((input.authTime + maxLifetime * 1000) / 1000));
    const fullPayload: JsonObject = {
      ...input.payload,
      sub: input.userId,
      sessionHandle: input.handle,
      iat,
      exp,
      authTime: input.authTime,
      ...(input.remember === false ? { skRemember: false } : {}),
      ...(input.antiCsrfToken === undefined ? {} : { antiCsrfToken: input.antiCsrfToken }),
      // Services pin it (jose's jwtVerify `issuer`); supertokens-node puts its issuer in every token.
      ...(this.options.issuer === undefined ? {} : { iss: this.options.issuer }),
    };
    // JWS compact serialisation (RFC 7515 §7.1), signed by the crypto provider: on Node a
    // synchronous node:crypto signature, where jose's SignJWT would take a WebCrypto round trip.
    const payloadJson = JSON.stringify(fullPayload);
    const signingInput = `${headerSegment(algorithm, kid)}.${base64urlText(payloadJson)}`;
    const token = `${signingInput}.${base64url(await sign(utf8(signingInput)))}`;
    const claims: AccessClaims = {
      userId: input.userId,
      handle: input.handle,
      iat,
      exp,
      authTime: input.authTime,
      antiCsrfToken: input.antiCsrfToken,
      remember: input.remember !== false,
      payload: input.payload,
    };
    this.#cache.set(token, claims, exp * 1000);
    return { token, claims, fullPayload, payloadJson };
  }

  /** Verifies a token: cache first, then signature and claims. Never throws for bad input. */
  async verify(token: string): Promise<VerifyResult> {
    const nowMs = this.options.now();
    const cached = this.#cache.get(token, nowMs);
    this.onCacheLookup?.(cached !== undefined);
    if (cached) return { ok: true, claims: cached };
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "invalid", detail: "access token too long" };
    if (!isCanonicalJws(token)) return { ok: false, reason: "invalid", detail: "access token is not a canonical JWS" };

    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return { ok: false, reason: "invalid", detail: "access token is not a JWT" };
    }
    if (typeof kid !== "string" || kid.length === 0 || kid.length > 200) {
      return { ok: false, reason: "invalid", detail: "access token has no usable key id" };
    }
    const key = await this.keys.verificationKey(kid);
    if (!key) return { ok: false, reason: "invalid", detail: "access token signed by an unknown key" };

    let raw: Record<string, unknown>;
    try {
      // Only the algorithm of the key named by kid: no alg confusion, no "none".
      const result = await jwtVerify(token, key.key, {
        algorithms: [key.algorithm],
        currentDate: new Date(nowMs),
        typ: "JWT",
      });
      raw = result.payload as Record<string, unknown>;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired", detail: "access token expired" };
      return { ok: false, reason: "invalid", detail: "access token signature or claims invalid" };
    }
    const claims = toClaims(raw, nowMs);
    if (!claims) return { ok: false, reason: "invalid", detail: "access token claims malformed" };
    this.#cache.set(token, claims, claims.exp * 1000);
    return { ok: true, claims };
  }
}

function toClaims(raw: Record<string, unknown>, nowMs: number): AccessClaims | undefined {
  const { sub, sessionHandle, iat, exp, antiCsrfToken, authTime, skRemember } = raw;
  if (typeof sub !== "string" || sub.length === 0) return undefined;
  if (typeof sessionHandle !== "string" || sessionHandle.length === 0) return undefined;
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > nowMs / 1000 + IAT_SKEW_SECONDS) return undefined;
  if (typeof exp !== "number" || !Number.isFinite(exp)) return undefined;
  if (antiCsrfToken !== undefined && typeof antiCsrfToken !== "string") return undefined;
  // Tokens minted by 0.1 have no authTime: 0 reads as "signed in long ago", so a freshness check fails closed.
  if (authTime !== undefined && (typeof authTime !== "number" || !Number.isSafeInteger(authTime) || authTime < 0)) return undefined;
  if (skRemember !== undefined && skRemember !== false) return undefined;
  const payload: JsonObject = {};
  for (const [name, value] of Object.entries(raw)) if (!RESERVED_CLAIMS.has(name)) payload[name] = value;
  return { userId: sub, handle: sessionHandle, iat, exp, authTime: authTime ?? 0, antiCsrfToken, remember: skRemember !== false, payload };
}

/** The `front-token` header: standard base64 of `{"uid","ate","up"}` (WIRE.md). */
export function frontToken(userId: string, expSeconds: number, fullPayload: JsonObject): string {
  return base64Text(JSON.stringify({ uid: userId, ate: expSeconds * 1000, up: fullPayload }));
}

/**
 * The same front-token from `JSON.stringify(fullPayload)` already made for the JWT: the bytes of
 * `JSON.stringify({ uid, ate, up })` without serialising the payload a second time.
 */
export function frontTokenOfJson(userId: string, expSeconds: number, payloadJson: string): string {
  return base64Text(`{"uid":${JSON.stringify(userId)},"ate":${JSON.stringify(expSeconds * 1000)},"up":${payloadJson}}`);
}

/** The JWS protected header of one signing key, encoded once per key (a key signs many tokens). */
const headerSegments = new Map<string, string>();
function headerSegment(algorithm: string, kid: string): string {
  const id = `${algorithm} ${kid}`;
  let segment = headerSegments.get(id);
  if (segment === undefined) {
    segment = base64urlText(JSON.stringify({ alg: algorithm, typ: "JWT", kid }));
    // Keys rotate per slot: a handful per process lifetime; bounded anyway.
    if (headerSegments.size >= 64) headerSegments.clear();
    headerSegments.set(id, segment);
  }
  return segment;
}
