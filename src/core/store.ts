// The storage contract: small, every method one round trip, implemented by `drizzleStore`.
// Times are passed in (the injected clock), never read from the database server.

import type { SessionSummary } from "./devices.js";

/** A JSON object: the custom access-token payload. */
export type JsonObject = { [key: string]: unknown };

/** What a new session row holds. */
export interface NewSessionRecord {
  handle: string;
  userId: string;
  jwtPayload: JsonObject;
  sessionData: unknown;
  refreshHash: string;
  /** Also the first `lastActiveAt`. */
  createdAt: Date;
  expiresAt: Date;
  /** The device (bounded by the engine). */
  userAgent?: string | undefined;
  ip?: string | undefined;
  /** false: the cookies last for the browser session only (default true). */
  remember?: boolean | undefined;
}

/** `maxSessionsPerUser` at sign-in: end the user's least recently active sessions beyond `maxSessions`. */
export interface SessionCap {
  maxSessions: number;
  /** With "notify": log and announce the evicted handles on this channel, like `revoke`. */
  notifyChannel?: string | undefined;
}

/** A session row as the store returns it (no refresh secrets). */
export interface SessionRecord {
  handle: string;
  userId: string;
  jwtPayload: JsonObject;
  sessionData: unknown;
  createdAt: Date;
  expiresAt: Date;
}

/** The arguments of the one conditional refresh-rotation statement. */
export interface RotateRefreshInput {
  handle: string;
  /** Hash of the refresh token the client presented. */
  presentedHash: string;
  /** Hash, nonce and generation of the token that replaces it when the presented one is current. */
  nextHash: string;
  nextNonce: string;
  nextGeneration: number;
  now: Date;
  expiresAt: Date;
  /** The client IP of this refresh (kept as it was when undefined); `lastActiveAt` becomes `now`. */
  ip?: string | undefined;
  /** `maxLifetime` in seconds: no row older than this rotates, and `expiresAt` never passes `createdAt` + it. */
  maxLifetime?: number | undefined;
}

/** The row after the rotation statement; `refreshHash === nextHash` means this call rotated. */
export interface RotateRefreshResult {
  userId: string;
  jwtPayload: JsonObject;
  refreshHash: string;
  previousRefreshHash: string | null;
  refreshNonce: string | null;
  refreshGeneration: number;
  rotatedAt: Date | null;
  expiresAt: Date;
  /** The sign-in time: refreshed access tokens keep it as their `authTime`. */
  createdAt: Date;
  /** The session's remember-me choice: false sets cookies without an expiry. */
  remember: boolean;
}

/** A signing or refresh key row. Private material never leaves the server except as public JWKs. */
export interface KeyRecord {
  kid: string;
  purpose: "signing" | "refresh";
  algorithm: string;
  slot: number;
  publicJwk: JsonWebKey | null;
  privateJwk: JsonWebKey;
  createdAt: Date;
  expiresAt: Date;
}

/** Which sessions a revocation targets, and whether to log and announce it (revocation "notify"). */
export interface RevokeInput {
  by:
    | {
        handle: string /** Only when the session was created at or before this (`maxLifetime` reached). */;
        createdBefore?: Date | undefined;
      }
    | { userId: string; exceptHandle?: string | undefined };
  now: Date;
  /** With "notify": the channel to announce revoked handles on, in the same statement. */
  notifyChannel?: string | undefined;
  /**
   * With "notify": log entries older than this are no longer needed by any listener catching up;
   * the same statement deletes a bounded number of them (about twice as many as it logs), so the
   * log stays bounded by the revocation rate times its window however rarely `cleanup()` runs.
   */
  pruneBefore?: Date | undefined;
}

/** A session a revocation ended. */
export interface RevokedSession {
  handle: string;
  userId: string;
}

/** A revocation-log entry, read when a listener catches up. */
export interface RevocationEntry {
  id: number;
  handle: string;
  revokedAt: Date;
}

/** One bounded batch of `cleanup()` (see {@link SessionStore.cleanupBatch}). */
export interface CleanupBatchInput {
  now: Date;
  revocationsBefore: Date;
  /** At most this many expired sessions and this many old log entries are deleted by the batch. */
  batchSize: number;
  /** Where the previous batch stopped; undefined for the first batch. Opaque to the caller. */
  cursor?: string | undefined;
}

/** What one batch removed, and where the next one starts (undefined: nothing is left). */
export interface CleanupBatchResult {
  sessions: number;
  keys: number;
  revocations: number;
  cursor?: string | undefined;
}

/** Events a store's listener reports. */
export interface ListenHandlers {
  /** A payload arrived on the channel (`<handle>:<log id>`). */
  onNotify(payload: string): void;
  /** The listening connection is up (first time, or again after a drop). */
  onListen(): void;
  /** The listening connection dropped; the store reconnects by itself. */
  onDrop(error?: unknown): void;
  /** A probe notice the listener sent itself was heard, `ms` after it was sent (the notice delay). */
  onProbe?(ms: number): void;
}

/** The storage interface of sessionkit. Each method is one database round trip. */
export interface SessionStore {
  /**
   * Inserts a session; with `cap`, in the same round trip ends the sessions beyond it and returns
   * them with their device (what their `revoked` events report).
   */
  createSession(
    record: NewSessionRecord,
    cap?: SessionCap,
  ): Promise<Array<{ handle: string; userAgent?: string | undefined; ip?: string | undefined }>>;
  getSession(handle: string, now: Date): Promise<SessionRecord | undefined>;
  sessionExists(handle: string, now: Date): Promise<boolean>;
  /** Which of these handles are live sessions (the periodic check of open streams). */
  liveHandles(handles: readonly string[], now: Date): Promise<string[]>;
  getSessionData(handle: string, now: Date): Promise<{ data: unknown; version: number } | undefined>;
  /** Overwrites session data; with `expectedVersion`, only if the version still matches. */
  setSessionData(handle: string, data: unknown, now: Date, expectedVersion?: number): Promise<boolean>;
  /**
   * Read-modify-write of session data under a row lock, in one transaction (the one method that
   * is more than one round trip: BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT). Undefined when the
   * session does not exist. Optional: without it `modifySessionData` uses `expectedVersion` only.
   */
  modifySessionDataLocked?(handle: string, now: Date, fn: (data: unknown) => Promise<unknown>): Promise<{ data: unknown } | undefined>;
  /** Replaces the payload of a live session; returns its remember-me choice, undefined when it does not exist. */
  setJWTPayload(handle: string, payload: JsonObject, now: Date): Promise<{ remember: boolean } | undefined>;
  rotateRefresh(input: RotateRefreshInput): Promise<RotateRefreshResult | undefined>;
  /** Deletes sessions, returning the revoked ones (handle and user); logs and notifies when asked. */
  revoke(input: RevokeInput): Promise<RevokedSession[]>;
  /**
   * `revoke` of several sessions by handle in one statement (one commit), each target as `by`'s
   * handle form; returns the revoked ones. Revocation "notify" writes concurrent single
   * revocations together through it (a NOTIFYing commit is serialised database-wide). Optional:
   * without it each revocation is its own `revoke`.
   */
  revokeHandles?(
    input: Omit<RevokeInput, "by"> & { targets: ReadonlyArray<{ handle: string; createdBefore?: Date | undefined }> },
  ): Promise<RevokedSession[]>;
  listHandles(userId: string, now: Date): Promise<string[]>;
  /**
   * Removes the claim entries `keys` from the stored payload of every live session of a user,
   * so their next refresh fetches them again; with `notifyChannel`, announces `notice` on it in
   * the same statement. Returns the handles reached. Optional: only `refreshClaimsForUser` needs it.
   */
  clearClaims?(input: {
    userId: string;
    keys: readonly string[];
    now: Date;
    notifyChannel?: string | undefined;
    notice: string;
  }): Promise<string[]>;
  /** The user's live sessions, most recently active first. */
  listSessions(userId: string, now: Date): Promise<SessionSummary[]>;
  loadKeys(now: Date): Promise<KeyRecord[]>;
  /** Inserts a key unless one for the same purpose, algorithm and slot exists. */
  insertKey(key: KeyRecord): Promise<void>;
  /**
   * Replaces a key row's private material (encrypting a 0.1 plaintext key in place) if it still
   * holds `expected`; false when another instance changed it first or the key is gone.
   */
  replacePrivateKey(kid: string, privateJwk: JsonWebKey, expected: JsonWebKey): Promise<boolean>;
  /** Revocation-log entries after `afterId` and newer than `since`. */
  revocationsSince(afterId: number, since: Date): Promise<RevocationEntry[]>;
  /** Removes expired sessions, expired keys and log entries older than `revocationsBefore`. */
  cleanup(now: Date, revocationsBefore: Date): Promise<{ sessions: number; keys: number; revocations: number }>;
  /**
   * One bounded step of `cleanup`, one statement: `sessions.cleanup()` calls it until the cursor
   * comes back undefined, each call under its own `storeTimeoutMs`. Optional: without it
   * `cleanup` is the one statement above.
   */
  cleanupBatch?(input: CleanupBatchInput): Promise<CleanupBatchResult>;
  /**
   * LISTENs on a channel over a dedicated connection; resolves once listening; returns a stop
   * function. Aborting `signal` gives up a connection attempt still in progress. `heartbeatMs`:
   * how often the connection is probed, and how long a probe may take before it counts as dropped.
   */
  listen?(
    channel: string,
    handlers: ListenHandlers,
    signal?: AbortSignal,
    options?: { heartbeatMs?: number },
  ): Promise<() => Promise<void>>;
}
