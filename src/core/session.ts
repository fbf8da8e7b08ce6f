// The Session object of the SuperTokens model: identity from the verified access token (no
// store call), data and payload changes through the store (one call each), revocation.

import { type AccessClaims, assertCustomPayload } from "./access-token.js";
import type { Engine } from "./engine.js";
import { SessionError } from "./errors.js";
import type { ResponseWriter } from "./http.js";
import type { JsonObject } from "./store.js";

/** How often `modifySessionData` retries after losing a race before giving up. */
const MODIFY_ATTEMPTS = 50;

let readClaims: (session: Session) => AccessClaims;

/**
 * One user's session, valid for the request it was obtained for. Calls that change cookies
 * (`updateJWTPayload`, `revokeSession`) write them to that request's response.
 */
export class Session {
  static {
    readClaims = (session) => session.#claims;
  }

  readonly #engine: Engine;
  readonly #writer: ResponseWriter;
  #claims: AccessClaims;

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

  /** The custom access-token payload (reserved claims removed), as a copy. No store call. */
  getJWTPayload(): JsonObject {
    return structuredClone(this.#claims.payload);
  }

  /** When the current access token expires (epoch milliseconds). No store call. */
  getAccessTokenExpiry(): number {
    return this.#claims.exp * 1000;
  }

  /** Replaces the custom payload in the store and issues a new access token on this response. One store call. */
  async updateJWTPayload(payload: JsonObject): Promise<void> {
    assertCustomPayload(payload);
    this.#writer.assertOpen("update the JWT payload");
    const engine = this.#engine;
    const stored = await engine.run(() => engine.options.store.setJWTPayload(this.#claims.handle, payload, engine.now()));
    if (!stored) throw engine.error("UNAUTHORISED", "the session no longer exists", this.#writer);
    const { issued, claims } = await engine.issueAccess(this.#claims.userId, this.#claims.handle, payload);
    this.#writer.assertOpen("update the JWT payload");
    engine.transport.write(this.#writer, issued);
    this.#claims = claims;
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
   * new data; a concurrent change makes it run again on the fresher value, so no update is lost.
   * Two store calls when uncontended (read, conditional write). Returns the data written.
   */
  async modifySessionData<T = unknown>(fn: (data: T) => T | Promise<T>): Promise<T> {
    return modifyData(this.#engine, this.#claims.handle, fn, () => this.#writerIfOpen());
  }

  /** Deletes the session and clears its cookies on this response. One store call. */
  async revokeSession(): Promise<void> {
    this.#writer.assertOpen("revoke the session");
    await this.#engine.revoke({ handle: this.#claims.handle });
    this.#writer.assertOpen("revoke the session");
    this.#engine.transport.clear(this.#writer);
  }

  #writerIfOpen(): ResponseWriter | undefined {
    return this.#writer.sent ? undefined : this.#writer;
  }

  /** A secret-free summary (no tokens). */
  toJSON(): { userId: string; handle: string; jwtPayload: JsonObject } {
    return { userId: this.getUserId(), handle: this.getHandle(), jwtPayload: this.getJWTPayload() };
  }
}

/** @internal The verified claims behind a session, for adapters (anti-CSRF checks). */
export function claimsOf(session: Session): AccessClaims {
  return readClaims(session);
}

/** The shared optimistic read-modify-write loop of `Session` and `sessions.modifySessionData`. */
export async function modifyData<T>(
  engine: Engine,
  handle: string,
  fn: (data: T) => T | Promise<T>,
  clearOn: () => ResponseWriter | undefined = () => undefined,
): Promise<T> {
  const store = engine.options.store;
  for (let attempt = 0; attempt < MODIFY_ATTEMPTS; attempt++) {
    const row = await engine.run(() => store.getSessionData(handle, engine.now()));
    if (!row) throw engine.error("UNAUTHORISED", "the session no longer exists", clearOn());
    const next = await fn(structuredClone(row.data) as T);
    assertJson(next);
    if (await engine.run(() => store.setSessionData(handle, next, engine.now(), row.version))) return next;
    // Lost the race: back off a little (random, growing) so contenders spread out.
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
