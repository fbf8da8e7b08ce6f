// The options of `createSessions` and their defaults (the checks are in option-checks.ts).

import type { SameSite } from "./cookies.js";
import { debugFromEnvironment, defaultWarning } from "./diagnostics.js";
import { type TrustProxy, resolveTrustProxy } from "./devices.js";
import { type RandomBytes, cryptoRandomBytes } from "./encoding.js";
import type { TokenTransfer } from "./header-transport.js";
import type { SessionStore } from "./store.js";
import type { OpenTelemetryApi } from "./otel-api.js";
import { telemetryOption } from "./telemetry.js";
import type { Claim } from "./claims.js";
import type { SessionHooks } from "./events.js";
import { assertKnownOptions, claimsOption, count, hooksOf, isHttpUrl, oneOf, positive } from "./option-checks.js";

/** Anti-CSRF protection for cookie sessions. */
export type AntiCsrfMode = "via-token" | "via-custom-header" | "none";
/** How quickly a revoked session's access token stops working. */
export type RevocationMode = "none" | "check-database" | "notify";
/** JWS algorithm of the access tokens. */
export type SigningAlgorithm = "RS256" | "ES256" | "EdDSA";

/** Cross-origin settings: the exact origins allowed to call with credentials. */
export interface CorsOptions {
  /** Exact origins (`https://app.example.com`), or a predicate. */
  origins: readonly string[] | ((origin: string) => boolean);
  /** Extra request headers to allow on top of the SuperTokens SDK's. */
  allowHeaders?: readonly string[];
  /** Preflight cache lifetime in seconds (default 600). */
  maxAge?: number;
}

/** Options of {@link createSessions}. Only `store` is required. */
export interface CreateSessionsOptions {
  /** Where sessions and keys live: `drizzleStore(db)`. */
  store: SessionStore;
  /** Access-token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Refresh-token (and session) lifetime in seconds, extended on every refresh (default 100 days). */
  refreshTokenTtl?: number;
  /** Anti-CSRF mode (default `"via-custom-header"`). */
  antiCsrf?: AntiCsrfMode;
  /** Revocation mode (default `"none"`). */
  revocation?: RevocationMode;
  /** How long a just-rotated refresh token stays usable, in seconds (default 10). */
  refreshGraceSeconds?: number;
  /**
   * Cookie attributes. `secure` defaults to true, `sameSite` to `"lax"`. `olderCookieDomain`
   * (SuperTokens' option of that name): the Domain the auth cookies had before `domain` was
   * changed; a refresh that sees two cookies of one name clears the ones of that Domain.
   */
  cookies?: { secure?: boolean; sameSite?: SameSite; domain?: string | undefined; olderCookieDomain?: string | undefined };
  /** Base path of the refresh, sign-out and JWKS routes (default `"/auth"`). */
  basePath?: string;
  /** HTTP status for session errors other than GENERAL_ERROR (default 401). */
  sessionExpiredStatusCode?: number;
  /** Signing algorithm of new access tokens (default `"ES256"`: chosen by measurement, see docs/benchmarks.md; RS256 and EdDSA stay available, and tokens of keys made with another algorithm keep verifying). */
  algorithm?: SigningAlgorithm;
  /** Seconds between signing-key rotations (default 7 days). */
  keyRotationInterval?: number;
  /**
   * Optional server secret (at least 32 characters) that authenticates refresh tokens and
   * derives anti-CSRF tokens. Without it a random key is created once and kept in the keys table.
   */
  secret?: string;
  /**
   * Key (at least 32 characters) that encrypts the private signing keys and the refresh key in
   * the keys table (AES-256-GCM, derived with HKDF). Default: derived from `secret`. Without
   * either, keys are stored in plaintext and `createSessions` warns outside development.
   */
  keyEncryptionKey?: string;
  /** How many verified access tokens to remember (default 10,000; 0 turns the cache off). */
  tokenCacheSize?: number;
  /** A store call slower than this (ms) fails with GENERAL_ERROR (default 10,000). */
  storeTimeoutMs?: number;
  /**
   * With `revocation: "notify"`: how often (ms) the listening connection probes itself, and how
   * long a probe may take. A silent network partition of that connection is noticed within twice
   * this (default 2000: 4 s), after which the process checks the database per request (fail closed).
   */
  notifyHeartbeatMs?: number;
  /** Channel for revocation notices with `revocation: "notify"` (default `"sessionkit_revocations"`). */
  notifyChannel?: string;
  /** Cross-origin settings; `sessions.cors()` can set them later. */
  cors?: CorsOptions;
  /**
   * How tokens travel (default `"any"`): `"any"` gives a client that signs in with
   * `st-auth-mode: header` its tokens in `st-access-token`/`st-refresh-token` response headers
   * (sent back as `Authorization: Bearer …`) and everyone else cookies; `"cookie"` or `"header"` only.
   */
  tokenTransfer?: TokenTransfer;
  /**
   * The public URL of these routes as other services see it (API domain + `basePath`, e.g.
   * `https://api.example.com/auth`, as supertokens-node's issuer). When set, access tokens carry
   * it as `iss` and `GET {basePath}/.well-known/openid-configuration` serves it with `jwks_uri`.
   */
  issuer?: string;
  /** Cookie mode also sends the access token in an `st-access-token` header, for the SDK's `getAccessToken()` (default false). */
  exposeAccessTokenToFrontendInCookieBasedAuth?: boolean;
  /**
   * Open streams (`session.signal`): how often, in ms, expiry is looked at and, with
   * "check-database" (or "notify" while its listener is down), one statement checks every
   * session with an open stream (default 1000).
   */
  liveCheckIntervalMs?: number;
  /** Absolute session lifetime in seconds since sign-in, on top of the idle `refreshTokenTtl` (default: none). */
  maxLifetime?: number;
  /** A sign-in beyond this many live sessions of one user revokes their least recently active ones (default: no cap). */
  maxSessionsPerUser?: number;
  /** How the client IP of `listSessions` is found (default `false`: the socket address, never `X-Forwarded-For`). */
  trustProxy?: TrustProxy;
  /** Receives operational warnings (listener drops, store failures). Never receives secrets. */
  onWarning?: (message: string, error?: unknown) => void;
  /**
   * OpenTelemetry: the `@opentelemetry/api` module (`import * as otel from "@opentelemetry/api"`).
   * With an SDK registered before `createSessions` runs, sign-in, refresh, revocation and store
   * calls get spans, and counters, a store-latency histogram and listener gauges are recorded
   * (docs/observability.md). Without an SDK, or without this option, nothing is recorded or paid.
   */
  telemetry?: OpenTelemetryApi;
  /** Lifecycle hooks: `created`, `refreshed`, `revoked`, `theft`, `claimsRefreshed` (docs/observability.md). */
  on?: SessionHooks;
  /**
   * Logs every refused request with its exact reason (code, status, why: "the rid header is
   * missing", "the access token has expired"…), for development. `true` logs to the console,
   * a function receives each line. Default: on when `DEBUG` names sessionkit (`DEBUG=sessionkit`).
   * Lines hold no token or secret; the wire is unchanged.
   */
  debug?: boolean | ((line: string) => void);
  /** Injected clock in epoch milliseconds (tests move it instead of sleeping). */
  now?: () => number;
  /** Injected randomness. */
  randomBytes?: RandomBytes;
  /** Session claims (`claim(key, { fetch })`): fetched at sign-in, kept in the access token, re-fetched when stale. */
  // biome-ignore lint/suspicious/noExplicitAny: claims of any value type
  claims?: readonly Claim<any>[];
}

export interface ResolvedOptions {
  store: SessionStore;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  antiCsrf: AntiCsrfMode;
  revocation: RevocationMode;
  refreshGraceSeconds: number;
  cookies: { secure: boolean; sameSite: SameSite; domain: string | undefined; olderCookieDomain: string | undefined };
  basePath: string;
  sessionExpiredStatusCode: number;
  algorithm: SigningAlgorithm;
  keyRotationInterval: number;
  secret: string | undefined;
  keyEncryptionKey: string | undefined;
  tokenCacheSize: number;
  storeTimeoutMs: number;
  notifyChannel: string;
  notifyHeartbeatMs: number;
  cors: CorsOptions | undefined;
  tokenTransfer: TokenTransfer;
  issuer: string | undefined;
  exposeAccessTokenToFrontendInCookieBasedAuth: boolean;
  liveCheckIntervalMs: number;
  maxLifetime: number | undefined;
  maxSessionsPerUser: number | undefined;
  trustProxy: TrustProxy;
  onWarning: (message: string, error?: unknown) => void;
  debug: ((line: string) => void) | undefined;
  on: SessionHooks | undefined;
  telemetry: OpenTelemetryApi | undefined;
  now: () => number;
  randomBytes: RandomBytes;
  claims: readonly Claim<unknown>[];
}

export function resolveOptions(options: CreateSessionsOptions): ResolvedOptions {
  if (options && typeof options === "object") assertKnownOptions(options);
  if (!options || typeof options !== "object" || !options.store) {
    throw new TypeError("sessionkit: createSessions needs a store, e.g. { store: drizzleStore(db) }");
  }
  const sameSite = oneOf("cookies.sameSite", options.cookies?.sameSite, ["lax", "strict", "none"], "lax");
  let basePath = options.basePath ?? "/auth";
  if (!basePath.startsWith("/")) basePath = `/${basePath}`;
  basePath = basePath.replace(/\/+$/, "");
  if (options.secret !== undefined && (typeof options.secret !== "string" || options.secret.length < 32)) {
    throw new TypeError("sessionkit: secret must be a string of at least 32 characters");
  }
  if (options.keyEncryptionKey !== undefined && (typeof options.keyEncryptionKey !== "string" || options.keyEncryptionKey.length < 32)) {
    throw new TypeError("sessionkit: keyEncryptionKey must be a string of at least 32 characters");
  }
  const notifyChannel = options.notifyChannel ?? "sessionkit_revocations";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(notifyChannel)) {
    throw new TypeError("sessionkit: notifyChannel must be a lower-case SQL identifier");
  }
  if (options.issuer !== undefined && !isHttpUrl(options.issuer)) {
    throw new TypeError("sessionkit: issuer must be an http(s) URL such as https://api.example.com/auth");
  }
  const expose = options.exposeAccessTokenToFrontendInCookieBasedAuth ?? false;
  if (typeof expose !== "boolean") throw new TypeError("sessionkit: exposeAccessTokenToFrontendInCookieBasedAuth must be a boolean");
  return {
    store: options.store,
    accessTokenTtl: positive("accessTokenTtl", options.accessTokenTtl, 3600),
    refreshTokenTtl: positive("refreshTokenTtl", options.refreshTokenTtl, 100 * 24 * 3600),
    antiCsrf: oneOf("antiCsrf", options.antiCsrf, ["via-token", "via-custom-header", "none"], "via-custom-header"),
    revocation: oneOf("revocation", options.revocation, ["none", "check-database", "notify"], "none"),
    refreshGraceSeconds: positive("refreshGraceSeconds", options.refreshGraceSeconds, 10, 0),
    cookies: {
      // SameSite=None cookies are dropped by browsers unless Secure.
      secure: sameSite === "none" ? true : (options.cookies?.secure ?? true),
      sameSite,
      domain: options.cookies?.domain,
      olderCookieDomain: options.cookies?.olderCookieDomain,
    },
    basePath,
    sessionExpiredStatusCode: positive("sessionExpiredStatusCode", options.sessionExpiredStatusCode, 401, 400),
    algorithm: oneOf("algorithm", options.algorithm, ["RS256", "ES256", "EdDSA"], "ES256"),
    keyRotationInterval: positive("keyRotationInterval", options.keyRotationInterval, 7 * 24 * 3600, 60),
    secret: options.secret,
    keyEncryptionKey: options.keyEncryptionKey,
    tokenCacheSize: positive("tokenCacheSize", options.tokenCacheSize, 10_000, 0),
    storeTimeoutMs: positive("storeTimeoutMs", options.storeTimeoutMs, 10_000),
    notifyChannel,
    notifyHeartbeatMs: positive("notifyHeartbeatMs", options.notifyHeartbeatMs, 2000, 50),
    cors: options.cors,
    tokenTransfer: oneOf("tokenTransfer", options.tokenTransfer, ["any", "cookie", "header"], "any"),
    issuer: options.issuer,
    exposeAccessTokenToFrontendInCookieBasedAuth: expose,
    liveCheckIntervalMs: positive("liveCheckIntervalMs", options.liveCheckIntervalMs, 1000, 10),
    maxLifetime: options.maxLifetime === undefined ? undefined : positive("maxLifetime", options.maxLifetime, 0),
    maxSessionsPerUser: options.maxSessionsPerUser === undefined ? undefined : count("maxSessionsPerUser", options.maxSessionsPerUser),
    trustProxy: resolveTrustProxy(options.trustProxy),
    onWarning: options.onWarning ?? defaultWarning,
    debug:
      typeof options.debug === "function"
        ? options.debug
        : (options.debug ?? debugFromEnvironment())
          ? (line: string) => console.warn(line)
          : undefined,
    on: hooksOf(options.on),
    telemetry: telemetryOption(options.telemetry),
    now: options.now ?? Date.now,
    randomBytes: options.randomBytes ?? cryptoRandomBytes,
    claims: claimsOption(options.claims),
  };
}
