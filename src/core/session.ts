// The Session object of the SuperTokens model: identity from the verified access token (no
// store call), data and payload changes through the store (one call each), revocation.

import { type Claim, type ClaimValidator, assertClaims, entryIn } from "./claims.js";
import { type AccessClaims, assertCustomPayload } from "./access-token.js";
import type { SessionSummary } from "./devices.js";
import type { Engine } from "./engine.js";
import { SessionError } from "./errors.js";
import type { ResponseWriter } from "./http.js";
import type { JsonObject } from "./store.js";
import { withTimeout } from "./timeout.js";

/** Without a locking store: how often `modifySessionData` retries after losing a race. */
const MODIFY_ATTEMPTS = 50;
/** After a conflict on a session, how long (real ms) its modifications go straight to the row lock. */
const CONTENDED_MS = 1000;

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
    const claimsOnly = Object.fromEntries(Object.entries(this.#claims.payload).filter(([key]) => this.#engine.claims.keys.has(key)));
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

/** Per engine: the tail of each session's queue, and when each session last met a conflict. */
const writers = new WeakMap<Engine, { tails: Map<string, Promise<unknown>>; contended: Map<string, number> }>();

/**
 * The read-modify-write of `Session.modifySessionData` and `sessions.modifySessionData`, chosen by
 * measurement (docs/scaling.md): calls on one session queue up in this process, so they neither
 * conflict with each other nor hold more than one pooled connection; each tries the optimistic
 * read + conditional write (two round trips), and after a conflict with another process takes
 * the row lock, which queues fairly where retrying would starve.
 */
export async function modifyData<T>(
  engine: Engine,
  handle: string,
  fn: (data: T) => T | Promise<T>,
  clearOn: () => ResponseWriter | undefined = () => undefined,
): Promise<T> {
  let state = writers.get(engine);
  if (!state) writers.set(engine, (state = { tails: new Map(), contended: new Map() }));
  const { tails } = state;
  const previous = tails.get(handle);
  const mine = (async () => {
    if (previous) await waitTurn(engine, previous);
    return modifyOnce(engine, state, handle, fn, clearOn);
  })();
  const tail = mine.catch(() => {});
  tails.set(handle, tail);
  void tail.then(() => {
    if (tails.get(handle) === tail) tails.delete(handle);
  });
  return mine;
}

/** Waits for the earlier modifications of the same session, as long as a store call may take. */
async function waitTurn(engine: Engine, previous: Promise<unknown>): Promise<void> {
  await withTimeout(
    previous,
    engine.options.storeTimeoutMs,
    () => new SessionError("GENERAL_ERROR", "sessionkit: earlier modifySessionData calls on this session did not finish in time"),
  );
}

async function modifyOnce<T>(
  engine: Engine,
  state: { contended: Map<string, number> },
  handle: string,
  fn: (data: T) => T | Promise<T>,
  clearOn: () => ResponseWriter | undefined,
): Promise<T> {
  const store = engine.options.store;
  const gone = () => engine.error("UNAUTHORISED", "the session no longer exists", clearOn());
  const locked = store.modifySessionDataLocked?.bind(store);
  const apply = async (data: unknown): Promise<T> => {
    const next = await fn(structuredClone(data) as T);
    assertJson(next);
    return next;
  };
  const underLock = async (): Promise<T> => {
    // `fn` runs inside the store call: its own errors must reach the caller as they are, not
    // as the GENERAL_ERROR that `run` makes of store failures.
    let failed: { error: unknown } | undefined;
    const guarded = (data: unknown) =>
      apply(data).catch((error: unknown) => {
        failed = { error };
        throw error;
      });
    let result: { data: unknown } | undefined;
    try {
      result = await engine.run(() => (locked as NonNullable<typeof locked>)(handle, engine.now(), guarded));
    } catch (error) {
      throw failed ? failed.error : error;
    }
    if (!result) throw gone();
    return result.data as T;
  };

  const { contended } = state;
  const lastConflict = contended.get(handle);
  if (locked && lastConflict !== undefined && performance.now() - lastConflict < CONTENDED_MS) return underLock();
  for (let attempt = 0; attempt < MODIFY_ATTEMPTS; attempt++) {
    const row = await engine.run(() => store.getSessionData(handle, engine.now()));
    if (!row) throw gone();
    const next = await apply(row.data);
    if (await engine.run(() => store.setSessionData(handle, next, engine.now(), row.version))) return next;
    // Another process changed it meanwhile. With a locking store, wait in line for the row lock
    // (retrying would starve under contention), and keep doing so while the session is busy.
    if (locked) {
      if (contended.size > 10_000) contended.clear();
      contended.set(handle, performance.now());
      return underLock();
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
  }
  throw new SessionError("GENERAL_ERROR", `sessionkit: modifySessionData gave up after ${MODIFY_ATTEMPTS} conflicting attempts`);
}

/** Refuses values that would not survive a JSON round trip into the store. */
export function assertJson(value: unknown): void {
  if (value === undefined || typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
    throw new TypeError("sessionkit: session data must be JSON-serialisable");
  }
}
