// The session engine: creating, verifying, refreshing and revoking sessions on one store.
// Public objects (`createSessions`, `Session`) are thin layers over it.

import { ClaimSet } from "./claims.js";
import { AccessTokens, type AccessClaims, assertCustomPayload } from "./access-token.js";
import { Diagnostics, isCrossRequestIo } from "./diagnostics.js";
import { SessionEvents } from "./events.js";
import type { CorsPolicy } from "./cors.js";
import { base64url, hmac, timingSafeEqual } from "./encoding.js";
import { SessionError, type SessionErrorCode, isSessionError } from "./errors.js";
import { type TransferMethod, accessTokenOf, isAccessTokenShaped } from "./header-transport.js";
import { HandleClock } from "./handles.js";
import { ResponseWriter, type SessionRequest, type SessionResponse, readHeader, requestMethod } from "./http.js";
import { KeyRing } from "./keys.js";
import { LiveSessions } from "./live.js";
import { notifyGuard } from "./notify.js";
import type { ResolvedOptions } from "./options.js";
import { type RevocationGuard, checkDatabase, trustTokens } from "./revocation.js";
import { Revoker } from "./revoke.js";
import type { JsonObject } from "./store.js";
import { Telemetry } from "./telemetry.js";
import { withTimeout } from "./timeout.js";
import { type IssuedAccess, TokenTransport } from "./transport.js";

/** Input of `createNewSession`. */
export interface NewSessionInput<P extends JsonObject = JsonObject> {
  /** The user this session belongs to. */
  userId: string;
  /** Custom claims carried in every access token (visible to the browser through `front-token`). */
  jwtPayload?: P;
  /** Private JSON data kept only in the database. */
  sessionData?: unknown;
  /** false: both auth cookies last for the browser session only, at sign-in and every later response (default true). */
  remember?: boolean;
}

/** Options of `getSession`. */
export interface GetSessionOptions {
  /** Check anti-CSRF; default: for every method except GET, HEAD and OPTIONS. */
  antiCsrfCheck?: boolean;
  /** When false, a request without an access token yields `undefined` instead of an error (default true). */
  sessionRequired?: boolean;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The driver's own error (name, message, code), without what query wrappers attach: Drizzle puts
 * the parameters in its message and drivers keep them as properties, and they can hold a new
 * private key or refresh key. The cause reaches `onWarning` and application logs.
 */
function storeFailure(error: unknown): Error {
  let inner = error;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  const failure = new Error(inner instanceof Error ? inner.message : String(inner));
  if (inner instanceof Error) failure.name = inner.name;
  const code = (inner as { code?: unknown } | null)?.code;
  if (typeof code === "string" || typeof code === "number") Object.assign(failure, { code });
  return failure;
}

export class Engine {
  readonly keys: KeyRing;
  readonly tokens: AccessTokens;
  readonly transport: TokenTransport;
  readonly revocation: RevocationGuard;
  readonly diagnostics: Diagnostics;
  readonly events: SessionEvents;
  /** Spans and metrics (`telemetry` option); inert without an OpenTelemetry SDK. */
  readonly telemetry: Telemetry;
  /** The signals of live connections (`session.signal`). */
  readonly live: LiveSessions;
  /** The cross-origin policy (`cors` option or `sessions.cors()`), for WebSocket upgrades. */
  cors: CorsPolicy | undefined;

  /** The session claims of these sessions (claims.ts). */
  readonly claims: ClaimSet;
  /** Time-ordered session handles (handles.ts). */
  readonly handles: HandleClock;
  /** Revoking sessions in the store and in this process (revoke.ts); this engine's own store. */
  readonly revoker: Revoker = new Revoker(this);

  constructor(
    readonly options: ResolvedOptions,
    /** `withStore`: the engine whose keys, token cache, events and settings this one shares. */
    parent?: Engine,
  ) {
    if (parent) {
      // Everything but the store calls is the parent's: loaded keys, verified tokens, claims,
      // events, live connections, the revocation state (check-database asks this store).
      this.diagnostics = parent.diagnostics;
      this.handles = parent.handles;
      this.telemetry = parent.telemetry;
      options.store = this.telemetry.instrumentStore(options.store);
      this.events = parent.events;
      this.keys = parent.keys.withStore(options, this.run);
      this.tokens = parent.tokens.withKeys(this.keys);
      this.transport = parent.transport;
      this.live = parent.live;
      this.claims = parent.claims;
      this.cors = parent.cors;
      this.revocation =
        options.revocation === "check-database"
          ? checkDatabase(options, this.run, (handles) => this.live.revoked(handles))
          : parent.revocation;
      return;
    }
    this.diagnostics = new Diagnostics(options);
    this.handles = new HandleClock(
      (n) => options.randomBytes(n),
      () => options.now(),
    );
    this.telemetry = new Telemetry(options.telemetry);
    // Every store call below goes through its span; the store itself when nothing records.
    options.store = this.telemetry.instrumentStore(options.store);
    this.events = new SessionEvents(options.on, this.diagnostics, options.storeTimeoutMs);
    this.keys = new KeyRing(options, this.run);
    this.tokens = new AccessTokens(this.keys, options, this.telemetry.onCacheLookup);
    this.transport = new TokenTransport(options);
    this.live = new LiveSessions(
      options,
      this.run,
      (code, message) => this.error(code, message),
      () => this.revocation,
    );
    const onRevoked = (handles: readonly string[]) => this.live.revoked(handles);
    this.claims = new ClaimSet(options.claims, options);
    this.revocation =
      options.revocation === "check-database"
        ? checkDatabase(options, this.run, onRevoked)
        : options.revocation === "notify"
          ? notifyGuard(options, this.run, onRevoked, (userId, atMs) => this.claims.noteStale(userId, atMs))
          : trustTokens;
    const { revocation } = this;
    if (revocation.live) this.telemetry.observeListener({ live: () => revocation.live?.() ?? false, lagMs: () => revocation.lagMs?.() });
  }

  /** An engine whose store calls go to `store`, sharing everything else with this one. */
  withStore(store: ResolvedOptions["store"]): Engine {
    return new Engine({ ...this.options, store }, this);
  }

  now(): Date {
    return new Date(this.options.now());
  }

  /** The oldest revocation a listener catching up still needs: one access-token lifetime and a minute back. */
  revocationLogStart(now: Date): Date {
    return new Date(now.getTime() - (this.options.accessTokenTtl + 60) * 1000);
  }

  /** Runs a store call: a failure or a timeout becomes GENERAL_ERROR (500), never a 401. */
  readonly run = async <T>(operation: () => Promise<T>): Promise<T> => {
    const ms = this.options.storeTimeoutMs;
    try {
      return await withTimeout(operation(), ms, () => new Error(`session store did not answer within ${ms} ms`));
    } catch (error) {
      if (isSessionError(error)) throw error;
      // Cloudflare Workers: say which mistake this is, not only that the store failed.
      const message = isCrossRequestIo(error)
        ? "sessionkit: the session store failed: its database connection was opened by another request (on Workers, open it per request: sessions.withStore)"
        : "sessionkit: the session store failed";
      throw new SessionError("GENERAL_ERROR", message, { cause: storeFailure(error) });
    }
  };

  error(code: Exclude<SessionErrorCode, "GENERAL_ERROR">, message: string, clearOn?: ResponseWriter): SessionError {
    // Like supertokens-node's error handler: a session-ending error clears every transfer method.
    if (clearOn && !clearOn.sent) this.transport.clear(clearOn, this.transport.allMethods);
    return this.diagnostics.tag(
      new SessionError(code, message, {
        status: this.options.sessionExpiredStatusCode,
        clearedCookies: clearOn !== undefined && !clearOn.sent,
      }),
    );
  }

  /** The session's anti-CSRF token in "via-token" mode: derived, so it needs no storage. */
  async antiCsrfTokenFor(handle: string): Promise<string | undefined> {
    if (this.options.antiCsrf !== "via-token") return undefined;
    return base64url(await hmac(await this.run(() => this.keys.refreshKey()), `anti-csrf:${handle}`));
  }

  /**
   * Signs an access token; `authTime` is the session's sign-in time (epoch ms) and `remember` its
   * remember-me choice, both carried through every refresh. A header-mode token carries no anti-CSRF token (supertokens-node's `disableAntiCsrf`).
   */
  async issueAccess(
    userId: string,
    handle: string,
    payload: JsonObject,
    authTime: number,
    transfer: TransferMethod = "cookie",
    remember = true,
  ): Promise<{ issued: IssuedAccess; claims: AccessClaims }> {
    const antiCsrfToken = transfer === "header" || this.options.antiCsrf !== "via-token" ? undefined : await this.antiCsrfTokenFor(handle);
    const signed = await this.signWithStoreErrors(() => this.tokens.sign({ userId, handle, payload, antiCsrfToken, authTime, remember }));
    const { token, claims, fullPayload, payloadJson } = signed;
    return { issued: { token, userId, exp: claims.exp, fullPayload, payloadJson, antiCsrfToken }, claims };
  }

  private async signWithStoreErrors<T>(sign: () => Promise<T>): Promise<T> {
    try {
      return await sign();
    } catch (error) {
      if (isSessionError(error)) throw error;
      throw new SessionError("GENERAL_ERROR", "sessionkit: could not sign an access token", { cause: error });
    }
  }

  /** A UUIDv7 from the injected clock and randomness (handles.ts: why time-ordered). */
  newHandle(): string {
    return this.handles.next();
  }

  /** Verifies the request's access token and returns its claims with the writer for the response. */
  async verifyRequest(
    request: SessionRequest,
    response: SessionResponse,
    options: GetSessionOptions = {},
  ): Promise<{ claims: AccessClaims; writer: ResponseWriter } | undefined> {
    const found = accessTokenOf(request, this.options.tokenTransfer);
    const writer = new ResponseWriter(response, found?.method);
    // As supertokens-node: a refresh sorts duplicate cookies out (or refuses them), so ask for one.
    if (found?.duplicated) throw this.error("TRY_REFRESH_TOKEN", "the request carries more than one sAccessToken cookie");
    if (!found) {
      if (options.sessionRequired === false) return undefined;
      throw this.error("UNAUTHORISED", "no access token in the request");
    }
    const claims = await this.verifyToken(found.token);
    // A browser never adds an Authorization header cross-site: anti-CSRF is for cookies only.
    const checkCsrf = found.method === "cookie" && (options.antiCsrfCheck ?? !SAFE_METHODS.has(requestMethod(request)));
    if (checkCsrf) this.checkCookieAntiCsrf(request, claims);
    const revocationCheck = this.assertNotRevoked(claims, writer);
    if (revocationCheck) await revocationCheck;
    return { claims, writer };
  }

  /**
   * Verifies one raw access token without a request (header mode's WebSocket
   * `connectionParams.accessToken`): the same answers as a request carrying it as `Authorization`.
   */
  async verifyAccessToken(token: unknown, clearOn?: ResponseWriter): Promise<AccessClaims> {
    if (typeof token !== "string" || !isAccessTokenShaped(token)) throw this.error("UNAUTHORISED", "no access token");
    const claims = await this.verifyToken(token);
    await this.assertNotRevoked(claims, clearOn);
    return claims;
  }

  private async verifyToken(token: string): Promise<AccessClaims> {
    const result = await this.tokens.verify(token);
    if (!result.ok) throw this.error("TRY_REFRESH_TOKEN", result.detail);
    return result.claims;
  }

  /** Throws (or rejects) UNAUTHORISED for a revoked session; "none" and a caught-up "notify" answer with no promise. */
  private assertNotRevoked(claims: AccessClaims, clearOn: ResponseWriter | undefined): Promise<void> | undefined {
    const revoked = this.revocation.isRevoked(claims);
    if (revoked === false) return undefined;
    const refuse = () => this.error("UNAUTHORISED", "the session has been revoked", clearOn);
    if (revoked === true) throw refuse();
    return revoked.then((yes) => {
      if (yes) throw refuse();
    });
  }

  /** Throws TRY_REFRESH_TOKEN when the request fails the configured anti-CSRF check. */
  checkAntiCsrf(request: SessionRequest, claims: AccessClaims): void {
    if (accessTokenOf(request, this.options.tokenTransfer)?.method === "header") return;
    this.checkCookieAntiCsrf(request, claims);
  }

  /** The anti-CSRF check of a token known to have come in the cookie (no second look at the Cookie header). */
  private checkCookieAntiCsrf(request: SessionRequest, claims: AccessClaims): void {
    const mode = this.options.antiCsrf;
    if (mode === "via-custom-header" && readHeader(request, "rid") === undefined) {
      throw this.error("TRY_REFRESH_TOKEN", "anti-CSRF check failed: the rid header is missing");
    }
    if (mode === "via-token") {
      const sent = readHeader(request, "anti-csrf");
      if (sent === undefined || claims.antiCsrfToken === undefined || !timingSafeEqual(sent, claims.antiCsrfToken)) {
        throw this.error("TRY_REFRESH_TOKEN", "anti-CSRF check failed: the anti-csrf header is missing or wrong");
      }
    }
  }

  assertNewSessionInput(input: NewSessionInput): void {
    if (!input || typeof input !== "object") throw new TypeError("sessionkit: createNewSession needs { userId }");
    if (typeof input.userId !== "string" || input.userId.length === 0 || input.userId.length > 512) {
      throw new TypeError("sessionkit: userId must be a non-empty string of at most 512 characters");
    }
    if (input.jwtPayload !== undefined) {
      assertCustomPayload(input.jwtPayload);
      this.claims.assertNotClaims(input.jwtPayload);
    }
    if (input.remember !== undefined && typeof input.remember !== "boolean") throw new TypeError("sessionkit: remember must be a boolean");
  }
}
