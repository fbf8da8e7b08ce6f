// The Session object of the SuperTokens model: identity from the verified access token (no
// store call), data and payload changes through the store (one call each), revocation.

import { type Claim, type ClaimValidator, assertClaims, entryIn } from "./claims.js";
import { type AccessClaims, assertCustomPayload } from "./access-token.js";
import type { SessionSummary } from "./devices.js";
import type { Engine } from "./engine.js";
import type { ResponseWriter } from "./http.js";
import { assertJson, modifyData } from "./session-data.js";
import type { JsonObject } from "./store.js";

let readClaims: (session: Session<JsonObject>) => AccessClaims;

/**
 * One user's session, valid for the request it was obtained for. Calls that change cookies
 * (`updateJWTPayload`, `revokeSession`) write them to that request's response.
 */
export class Session<P extends JsonObject = JsonObject> {
  static {
    readClaims = (session) => session.#claims;
  }

  readonly #engine: Engine;
  readonly #writer: ResponseWriter;
  #claims: AccessClaims;
  #signal: AbortSignal | undefined;

  /** @internal Sessions come from `createNewSession` and `getSession`, not from `new`. */
  constructor(engine: Engine, claims: AccessClaims, writer: ResponseWriter) {
    this.#engine = engine;
    this.#claims = claims;
    this.#writer = writer;
  }

  /** The user id from the verified access token. No store call. */
  getUserId(): string {
    return this.#claims.userId;
  }

  /** The session handle. No store call. */
  getHandle(): string {
    return this.#claims.handle;
  }

  /** The custom access-token payload (reserved claims and session claims removed), as a copy. No store call. */
  getJWTPayload(): P {
    return structuredClone(this.#engine.claims.custom(this.#claims.payload)) as P;
  }

  /** A claim's value from the verified access token, or undefined when it holds none. No store call. */
  getClaim<T>(claim: Claim<T>): T | undefined {
    return structuredClone(entryIn(this.#claims.payload, claim.key)?.v) as T | undefined;
  }

  /**
   * Fetches a claim again now, keeps it with the session and issues a new access token on this
   * response. One store call (plus the claim's own fetch). Returns the new value.
   */
  async refreshClaim<T>(claim: Claim<T>): Promise<T> {
    const engine = this.#engine;
    if (!engine.claims.keys.has(claim.key))
      throw new TypeError(`sessionkit: "${claim.key}" is not one of the claims given to createSessions`);
    this.#writer.assertOpen("refresh a claim");
    const entry = await engine.claims.fetchEntry(claim as Claim<unknown>, this.#claims.userId);
    await this.#replacePayload({ ...this.#claims.payload, [claim.key]: entry }, "refresh a claim");
    this.#claimsRefreshed();
    return structuredClone(entry.v) as T;
  }

  /**
   * Checks the session against claim validators (`roles.includes("admin")`, `freshSession(300)`…)
   * with no store call; throws `SessionError` `INVALID_CLAIM` (403) with `claimValidationErrors`.
   */
  assertClaims(validators: readonly ClaimValidator[]): void {
    assertClaims(validators, this.#claims.payload, this.#claims.authTime, this.#engine.options.now());
  }

  /** When the user signed in to this session (epoch milliseconds); refreshes keep it. From the access token: no store call. */
  getAuthTime(): number {
    return this.#claims.authTime;
  }

  /**
   * Aborts when this session is revoked (as the revocation mode sees it: "notify" within
   * milliseconds, "check-database" at the next periodic check, "none" never) or when the access
   * token it was verified from expires; `reason` is the `SessionError` (`UNAUTHORISED`,
   * `TRY_REFRESH_TOKEN`). Subscriptions behind `requireSession()` / `@auth` end on it by
   * themselves. No store call.
   */
  get signal(): AbortSignal {
    this.#signal ??= this.#engine.live.signalFor(this.#claims);
    return this.#signal;
  }

  /** When the current access token expires (epoch milliseconds). No store call. */
  getAccessTokenExpiry(): number {
    return this.#claims.exp * 1000;
  }

  /** Replaces the custom payload in the store and issues a new access token on this response. One store call. */
  async updateJWTPayload(payload: P): Promise<void> {
    assertCustomPayload(payload);
    this.#engine.claims.assertNotClaims(payload);
    // The session's claims stay with it: only the custom part is replaced.
    const { keys } = this.#engine.claims;
    const claimsOnly =
      keys.size === 0 ? undefined : Object.fromEntries(Object.entries(this.#claims.payload).filter(([key]) => keys.has(key)));
    await this.#replacePayload({ ...payload, ...claimsOnly }, "update the JWT payload");
  }

  /** A new access token for this session (same user, handle, sign-in time and transfer method) with `payload`. */
  #issue(payload: JsonObject, remember = this.#claims.remember) {
    const claims = this.#claims;
    return this.#engine.issueAccess(claims.userId, claims.handle, payload, claims.authTime, this.#writer.transfer, remember);
  }

  /** Stores the full payload (custom + claims) and issues an access token with it on this response. */
  async #replacePayload(payload: JsonObject, what: string): Promise<void> {
    this.#writer.assertOpen(what);
    const engine = this.#engine;
    const stored = await engine.run(() => engine.options.store.setJWTPayload(this.#claims.handle, payload, engine.now()));
    if (!stored) throw engine.error("UNAUTHORISED", "the session no longer exists", this.#writer);
    // The row's remember-me choice (a token of 0.1 carries none).
    const { issued, claims } = await this.#issue(payload, stored.remember);
    this.#writer.assertOpen(what);
    engine.transport.write(this.#writer, issued, undefined, stored.remember);
    this.#claims = claims;
  }

  /**
   * @internal After `refreshClaimsForUser` (seen through notify): fetch every claim again and
   * issue a new access token on this response. No store call: the row's claims were already
   * cleared, so the next refresh fetches them too.
   */
  async refetchAllClaims(): Promise<void> {
    if (this.#writer.sent) return;
    const engine = this.#engine;
    const payload = await engine.claims.withAll(this.#claims.userId, engine.claims.custom(this.#claims.payload));
    const { issued, claims } = await this.#issue(payload);
    if (this.#writer.sent) return;
    engine.transport.write(this.#writer, issued, undefined, claims.remember);
    this.#claims = claims;
    this.#claimsRefreshed();
  }

  /** The `claimsRefreshed` event, after the new values are kept (refreshClaim) or issued (refetchAllClaims). */
  #claimsRefreshed(): void {
    const { events } = this.#engine;
    if (events.wants("claimsRefreshed")) {
      events.emit("claimsRefreshed", { handle: this.#claims.handle, userId: this.#claims.userId, at: this.#engine.now() });
    }
  }

  /** Reads the private session data. One store call. */
  async getSessionData<T = unknown>(): Promise<T> {
    const engine = this.#engine;
    const row = await engine.run(() => engine.options.store.getSessionData(this.#claims.handle, engine.now()));
    if (!row) throw engine.error("UNAUTHORISED", "the session no longer exists", this.#writerIfOpen());
    return row.data as T;
  }

  /** Overwrites the private session data (last write wins). One store call. */
  async updateSessionData(data: unknown): Promise<void> {
    assertJson(data);
    const engine = this.#engine;
    const ok = await engine.run(() => engine.options.store.setSessionData(this.#claims.handle, data, engine.now()));
    if (!ok) throw engine.error("UNAUTHORISED", "the session no longer exists", this.#writerIfOpen());
  }

  /**
   * Atomic read-modify-write of the session data: `fn` gets the current data and returns the
   * new data; no concurrent update is lost. Two store calls when uncontended (read, conditional
   * write); under contention a row-locked transaction (four round trips). `fn` may run more than
   * once and must not call the store itself. Returns the data written.
   */
  async modifySessionData<T = unknown>(fn: (data: T) => T | Promise<T>): Promise<T> {
    return modifyData(this.#engine, this.#claims.handle, fn, () => this.#writerIfOpen());
  }

  /** This user's live sessions, most recently active first, this one marked `current`. One store call. */
  async listSessions(): Promise<Array<SessionSummary & { current: boolean }>> {
    const engine = this.#engine;
    const list = await engine.run(() => engine.options.store.listSessions(this.#claims.userId, engine.now()));
    return list.map((summary) => ({ ...summary, current: summary.handle === this.#claims.handle }));
  }

  /** Revokes every other session of this user (notified like any revocation); returns their handles. One store call. */
  async revokeOtherSessions(): Promise<string[]> {
    return this.#engine.revoker.revoke({ userId: this.#claims.userId, exceptHandle: this.#claims.handle });
  }

  /** Deletes the session and clears its cookies on this response. One store call. */
  async revokeSession(): Promise<void> {
    this.#writer.assertOpen("revoke the session");
    await this.#engine.revoker.revoke({ handle: this.#claims.handle }, "signOut");
    this.#writer.assertOpen("revoke the session");
    this.#engine.transport.clear(this.#writer);
  }

  #writerIfOpen(): ResponseWriter | undefined {
    return this.#writer.sent ? undefined : this.#writer;
  }

  /** A secret-free summary (no tokens). */
  toJSON(): { userId: string; handle: string; jwtPayload: P } {
    return { userId: this.getUserId(), handle: this.getHandle(), jwtPayload: this.getJWTPayload() };
  }
}

/** @internal The verified claims behind a session, for adapters (anti-CSRF checks). */
export function claimsOf(session: Session<JsonObject>): AccessClaims {
  return readClaims(session);
}
