// The checks of `createSessions`' options: no unknown option (with a "did you mean"), and each
// value of the right kind, with a sentence naming the option otherwise.

import type { Claim } from "./claims.js";
import type { SessionHooks } from "./events.js";
import type { CreateSessionsOptions } from "./options.js";

/**
 * Every option name `createSessions` accepts. Anything else is refused: a misspelt option must
 * not silently leave a protection off. The type below fails to compile when an option of
 * `CreateSessionsOptions` is missing here, so a new option is added in both places.
 */
const OPTION_NAMES = [
  "store",
  "accessTokenTtl",
  "refreshTokenTtl",
  "antiCsrf",
  "revocation",
  "refreshGraceSeconds",
  "cookies",
  "basePath",
  "sessionExpiredStatusCode",
  "algorithm",
  "keyRotationInterval",
  "secret",
  "keyEncryptionKey",
  "tokenCacheSize",
  "storeTimeoutMs",
  "notifyChannel",
  "notifyHeartbeatMs",
  "cors",
  "liveCheckIntervalMs",
  "maxLifetime",
  "maxSessionsPerUser",
  "trustProxy",
  "tokenTransfer",
  "issuer",
  "exposeAccessTokenToFrontendInCookieBasedAuth",
  "onWarning",
  "on",
  "telemetry",
  "debug",
  "now",
  "randomBytes",
  "claims",
] as const satisfies readonly (keyof CreateSessionsOptions)[];
const everyOptionListed: Exclude<keyof CreateSessionsOptions, (typeof OPTION_NAMES)[number]> extends never ? true : never = true;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<string>(everyOptionListed && OPTION_NAMES);

/** Throws a TypeError naming the first unknown option, with the closest known name when one is near. */
export function assertKnownOptions(options: object): void {
  for (const name of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(name)) continue;
    const near = [...KNOWN_OPTIONS].find((known) => known.toLowerCase() === name.toLowerCase() || editDistance(known, name) <= 2);
    throw new TypeError(`sessionkit: createSessions got an unknown option "${name}"${near ? ` (did you mean "${near}"?)` : ""}`);
  }
}

/** Levenshtein distance, for the "did you mean" of an unknown option (names are short). */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

export function claimsOption(claims: readonly Claim<unknown>[] | undefined): readonly Claim<unknown>[] {
  if (claims === undefined) return [];
  if (!Array.isArray(claims) || claims.some((c) => typeof c?.key !== "string" || typeof c.fetch !== "function")) {
    throw new TypeError("sessionkit: claims must be an array of claim(key, { fetch }) values");
  }
  return claims;
}

export function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new TypeError(`sessionkit: ${name} must be a number >= ${min}, got ${String(value)}`);
  }
  return value;
}

export function count(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`sessionkit: ${name} must be a whole number >= 1, got ${String(value)}`);
  return value;
}

export function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new TypeError(`sessionkit: ${name} must be one of ${allowed.join(", ")}`);
  return value;
}

export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

const EVENT_NAMES = new Set(["created", "refreshed", "revoked", "theft", "claimsRefreshed"]);

/** `on` checked like the options themselves: a misspelt event must not silently never fire. */
export function hooksOf(on: SessionHooks | undefined): SessionHooks | undefined {
  if (on === undefined) return undefined;
  if (on === null || typeof on !== "object") throw new TypeError("sessionkit: on must be an object of hooks, e.g. { revoked(event) {} }");
  for (const [name, hook] of Object.entries(on)) {
    if (!EVENT_NAMES.has(name))
      throw new TypeError(`sessionkit: on.${name} is not an event; the events are ${[...EVENT_NAMES].join(", ")}`);
    if (hook !== undefined && typeof hook !== "function") throw new TypeError(`sessionkit: on.${name} must be a function`);
  }
  return on;
}
