// Session claims: values fetched by the application (roles, plan, permissions), kept in the
// access token under their key as SuperTokens lays them out (`{ v: value, t: fetch time in ms }`),
// so reading one is a lookup in an already-verified token. Validators check them per request.

import { type ClaimValidationError, SessionError } from "./errors.js";
import type { JsonObject } from "./store.js";
import { withTimeout } from "./timeout.js";

/** Options of {@link claim}. */
export interface ClaimOptions<T> {
  /** The application's own lookup of the value for a user; a failure is a GENERAL_ERROR (500). */
  fetch: (userId: string) => T | Promise<T>;
  /** At a refresh, a value older than this is fetched again (default: kept until sign-out). */
  maxAgeSeconds?: number;
}

/** What a validator sees: the claim entries of the verified token, the sign-in time, the clock. */
export interface ClaimInput {
  /** The `{ v, t }` entry of a claim key, when the token holds a well-formed one. */
  entry(key: string): { v: unknown; t: number } | undefined;
  /** Sign-in time, epoch ms (`session.getAuthTime()`). */
  authTime: number;
  /** Now, epoch ms (the injected clock). */
  now: number;
}

/** A check of a session's claims, for `session.assertClaims`, `requireSession({ claims })` and `@auth` policies. */
export interface ClaimValidator {
  /** The claim's key, the id given to `check`, or `"freshSession"`; reported in `claimValidationErrors`. */
  readonly id: string;
  /** The reason the session fails this check, or undefined when it passes. */
  validate(input: ClaimInput): unknown | undefined;
}

/** The element type of an array claim, for `includes` / `excludes`. */
type ElementOf<T> = T extends readonly (infer E)[] ? E : never;

/** A claim made by {@link claim}: its key, its fetcher and its validators. */
export interface Claim<T> {
  readonly key: string;
  readonly maxAgeSeconds: number | undefined;
  /** @internal The application's fetcher. */
  readonly fetch: (userId: string) => T | Promise<T>;
  /** Passes when the (array) value contains `value`. */
  includes(value: ElementOf<T>): ClaimValidator;
  /** Passes when the (array) value is there and does not contain `value`. */
  excludes(value: ElementOf<T>): ClaimValidator;
  /** Passes when the value equals `value` (primitives by `===`, arrays and objects by their JSON). */
  equals(value: T): ClaimValidator;
  /** Passes when `fn(value)` returns true; `id` names the check in `claimValidationErrors`. */
  check(id: string, fn: (value: T | undefined) => boolean): ClaimValidator;
}

const missing = "value does not exist";
const wrong = "wrong value";

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A session claim. The value is fetched at sign-in and kept in the access token under `key` as
 * `{ v, t }`; at a refresh it is fetched again once older than `maxAgeSeconds`.
 * Reason shapes follow supertokens-node's `PrimitiveClaim` / `PrimitiveArrayClaim` validators.
 */
export function claim<T>(key: string, options: ClaimOptions<T>): Claim<T> {
  if (typeof key !== "string" || key.length === 0) throw new TypeError("sessionkit: a claim needs a non-empty key");
  if (!options || typeof options.fetch !== "function") throw new TypeError(`sessionkit: claim "${key}" needs a fetch function`);
  const { maxAgeSeconds } = options;
  if (maxAgeSeconds !== undefined && (typeof maxAgeSeconds !== "number" || !(maxAgeSeconds >= 0))) {
    throw new TypeError(`sessionkit: claim "${key}" maxAgeSeconds must be a number >= 0`);
  }
  const value = (input: ClaimInput) => input.entry(key)?.v as T | undefined;
  return {
    key,
    maxAgeSeconds,
    fetch: options.fetch,
    includes: (expected) => ({
      id: key,
      validate(input) {
        const actual = value(input);
        if (actual === undefined) return { message: missing, expectedToInclude: expected, actualValue: actual };
        if (!Array.isArray(actual) || !actual.includes(expected))
          return { message: wrong, expectedToInclude: expected, actualValue: actual };
        return undefined;
      },
    }),
    excludes: (expected) => ({
      id: key,
      validate(input) {
        const actual = value(input);
        if (actual === undefined) return { message: missing, expectedToNotInclude: expected, actualValue: actual };
        if (!Array.isArray(actual) || actual.includes(expected))
          return { message: wrong, expectedToNotInclude: expected, actualValue: actual };
        return undefined;
      },
    }),
    equals: (expected) => ({
      id: key,
      validate(input) {
        const actual = value(input);
        if (actual === undefined) return { message: missing, expectedValue: expected, actualValue: actual };
        return sameJson(actual, expected) ? undefined : { message: wrong, expectedValue: expected, actualValue: actual };
      },
    }),
    check: (id, fn) => {
      if (typeof id !== "string" || id.length === 0 || typeof fn !== "function") {
        throw new TypeError(`sessionkit: ${key}.check(id, fn) needs an id and a function`);
      }
      return {
        id,
        validate(input) {
          const actual = value(input);
          return fn(actual) === true ? undefined : { message: wrong, actualValue: actual };
        },
      };
    },
  };
}

/**
 * A validator: the session was signed in (password, OAuth…) at most `maxAgeSeconds` ago. The
 * sign-in time survives refreshes, so an old session cannot become fresh by refreshing.
 */
export function freshSession(maxAgeSeconds: number): ClaimValidator {
  if (typeof maxAgeSeconds !== "number" || !(maxAgeSeconds >= 0)) throw new TypeError("sessionkit: freshSession needs seconds >= 0");
  return {
    id: "freshSession",
    validate({ authTime, now }) {
      const ageInSeconds = Math.max(0, (now - authTime) / 1000);
      return authTime > 0 && ageInSeconds <= maxAgeSeconds
        ? undefined
        : { message: "expired", ageInSeconds, maxAgeInSeconds: maxAgeSeconds };
    },
  };
}

/** The `{ v, t }` entry at `key` of a verified payload, if well-formed. */
export function entryIn(payload: JsonObject, key: string): { v: unknown; t: number } | undefined {
  const entry = payload[key];
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return undefined;
  const { v, t } = entry as { v?: unknown; t?: unknown };
  return typeof t === "number" && Number.isFinite(t) && v !== undefined ? { v, t } : undefined;
}

/** Runs the validators; throws `INVALID_CLAIM` (403) listing every failure. */
export function assertClaims(validators: readonly ClaimValidator[], payload: JsonObject, authTime: number, now: number): void {
  const input: ClaimInput = { entry: (key) => entryIn(payload, key), authTime, now };
  let errors: ClaimValidationError[] | undefined;
  for (const validator of validators) {
    const reason = validator.validate(input);
    if (reason !== undefined) (errors ??= []).push({ id: validator.id, reason });
  }
  if (errors) throw new SessionError("INVALID_CLAIM", "invalid claim", { claimValidationErrors: errors });
}

/**
 * The claims of one `createSessions`: fetching them into a payload, re-fetching stale ones at a
 * refresh, and what `refreshClaimsForUser` announced (user id → time of the call, epoch ms), so a
 * token with older values is re-issued at its next request without a query.
 */
export class ClaimSet {
  readonly keys: ReadonlySet<string>;
  readonly #claims: readonly Claim<unknown>[];
  readonly #staleBefore = new Map<string, number>();
  #lastPrune = 0;

  constructor(
    claims: readonly Claim<unknown>[],
    private readonly options: { now: () => number; storeTimeoutMs: number; accessTokenTtl: number },
  ) {
    const keys = new Set<string>();
    for (const c of claims) {
      if (keys.has(c.key)) throw new TypeError(`sessionkit: two claims share the key "${c.key}"`);
      keys.add(c.key);
    }
    this.keys = keys;
    this.#claims = claims;
  }

  get empty(): boolean {
    return this.#claims.length === 0;
  }

  /** Refuses a custom payload that would shadow a claim. */
  assertNotClaims(payload: JsonObject, what = "jwtPayload"): void {
    if (this.empty) return;
    for (const key of Object.keys(payload)) {
      if (this.keys.has(key)) throw new TypeError(`sessionkit: ${what} cannot set "${key}": it is a claim (refreshClaim updates it)`);
    }
  }

  /** The payload without claim entries (what `getJWTPayload()` returns). */
  custom(payload: JsonObject): JsonObject {
    if (this.empty) return payload;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(payload)) if (!this.keys.has(key)) out[key] = value;
    return out;
  }

  /** Fetches one claim now; a failing or hanging fetch is a GENERAL_ERROR (500), never a 401/403. */
  async fetchEntry(c: Claim<unknown>, userId: string): Promise<{ v: unknown; t: number }> {
    const t = this.options.now();
    let v: unknown;
    try {
      const ms = this.options.storeTimeoutMs;
      v = await withTimeout(
        Promise.resolve().then(() => c.fetch(userId)),
        ms,
        () => new Error(`claim fetch did not answer within ${ms} ms`),
      );
    } catch (error) {
      throw new SessionError("GENERAL_ERROR", `sessionkit: fetching the claim "${c.key}" failed`, { cause: error });
    }
    // A JSON round trip: what the token will hold, and a clear error for values it cannot.
    const json = v === undefined ? undefined : JSON.stringify(v);
    if (json === undefined) throw new SessionError("GENERAL_ERROR", `sessionkit: the claim "${c.key}" fetched no JSON value`);
    return { v: JSON.parse(json), t };
  }

  /** `payload` with every claim fetched now (sign-in, `refreshClaimsForUser`). */
  async withAll(userId: string, payload: JsonObject): Promise<JsonObject> {
    if (this.empty) return payload;
    const entries = await Promise.all(this.#claims.map((c) => this.fetchEntry(c, userId)));
    const out: JsonObject = { ...payload };
    this.#claims.forEach((c, i) => {
      out[c.key] = entries[i];
    });
    return out;
  }

  /** At a refresh: `payload` with missing or stale claims fetched again, or undefined when all are current. */
  async refreshed(userId: string, payload: JsonObject): Promise<JsonObject | undefined> {
    if (this.empty) return undefined;
    const now = this.options.now();
    const stale = this.#claims.filter((c) => {
      const entry = entryIn(payload, c.key);
      return !entry || (c.maxAgeSeconds !== undefined && now - entry.t > c.maxAgeSeconds * 1000) || this.isStale(userId, entry.t);
    });
    if (stale.length === 0) return undefined;
    const entries = await Promise.all(stale.map((c) => this.fetchEntry(c, userId)));
    const out: JsonObject = { ...payload };
    stale.forEach((c, i) => {
      out[c.key] = entries[i];
    });
    return out;
  }

  /** True when `refreshClaimsForUser(userId)` was called after a token's claims were fetched. */
  isStale(userId: string, fetchedAt: number): boolean {
    const before = this.#staleBefore.get(userId);
    return before !== undefined && fetchedAt < before;
  }

  /** True when some claim entry of this verified payload predates a `refreshClaimsForUser` call. */
  needsRefetch(userId: string, payload: JsonObject): boolean {
    if (this.#staleBefore.size === 0) return false;
    const before = this.#staleBefore.get(userId);
    if (before === undefined) return false;
    for (const key of this.keys) {
      const entry = entryIn(payload, key);
      if (!entry || entry.t < before) return true;
    }
    return false;
  }

  /** `refreshClaimsForUser` ran at `atMs` (here or, through notify, on another instance). */
  noteStale(userId: string, atMs: number): void {
    const previous = this.#staleBefore.get(userId);
    if (previous === undefined || atMs > previous) this.#staleBefore.set(userId, atMs);
    // A notice matters only while a token fetched before it can still be valid.
    const now = this.options.now();
    const windowMs = (this.options.accessTokenTtl + 60) * 1000;
    if (now - this.#lastPrune > 60_000) {
      this.#lastPrune = now;
      for (const [user, at] of this.#staleBefore) if (now - at > windowMs) this.#staleBefore.delete(user);
    }
  }
}

/** The notify payload of `refreshClaimsForUser`: `claims:<epoch ms>:<user id>` (handles never start with "claims:"). */
export const CLAIMS_NOTICE_PREFIX = "claims:";

/** Parses a claims notice; undefined for anything else (revocation payloads). */
export function parseClaimsNotice(payload: string): { userId: string; atMs: number } | undefined {
  if (!payload.startsWith(CLAIMS_NOTICE_PREFIX)) return undefined;
  const rest = payload.slice(CLAIMS_NOTICE_PREFIX.length);
  const colon = rest.indexOf(":");
  const atMs = Number(rest.slice(0, colon));
  if (colon < 1 || !Number.isSafeInteger(atMs)) return undefined;
  return { userId: rest.slice(colon + 1), atMs };
}
