// Lifecycle events (`createSessions({ on })`): created, refreshed, revoked, theft, claimsRefreshed.
// Emitted by the engine after the store call that made the change has returned (committed), run
// on a later turn of the event loop so the response never waits, each bounded in time and in
// number, and a hook that throws, rejects or hangs is reported through `onWarning`.

import type { Diagnostics } from "./diagnostics.js";
import { type TrustProxy, deviceOf } from "./devices.js";
import type { SessionRequest } from "./http.js";

/** Why a session ended. Sessions ended by a cap or a lifetime count as revoked too. */
export type RevocationReason =
  /** `session.revokeSession()` or `POST /auth/signout`. */
  | "signOut"
  /** `sessions.revokeSession(handle)`. */
  | "revokedByHandle"
  /** `sessions.revokeAllSessionsForUser(userId)`, or another session of the user revoking the rest. */
  | "revokedByUser"
  /** A rotated-away refresh token came back: the session was ended as stolen. */
  | "theft"
  /** A new sign-in beyond `maxSessionsPerUser` ended the least recently active session. */
  | "maxSessionsPerUser"
  /** The session reached `maxLifetime`. */
  | "maxLifetime";

/** What every hook receives. Never a token, a key, the JWT payload or the session data. */
export interface SessionEvent {
  /** The session handle. */
  handle: string;
  userId: string;
  /** When the change was made (the injected clock). */
  at: Date;
  /** The client's IP, where the request is known and `trustProxy` says how to read it. */
  ip?: string;
  /** The request's `User-Agent`, where the request is known. */
  userAgent?: string;
  /** `revoked` and `theft`: why the session ended. */
  reason?: RevocationReason;
}

/** The events of {@link SessionHooks}. */
export type SessionEventName = "created" | "refreshed" | "revoked" | "theft" | "claimsRefreshed";

/**
 * Hooks of `createSessions({ on })`. Each runs after the change is committed, on the instance
 * that made it, at most once per change; it may be async. The request never waits on it; a hook
 * that throws, rejects or takes longer than `storeTimeoutMs` is reported through `onWarning`.
 */
export type SessionHooks = { [Name in SessionEventName]?: (event: SessionEvent) => void | Promise<void> };

/** Hooks still running beyond this are not started: events are dropped, with a warning. */
const MAX_IN_FLIGHT = 1000;
/** Where an event's request came from: its User-Agent (bounded) and IP (as `trustProxy` finds it), where known. */
export function clientOf(request: SessionRequest | undefined, trustProxy: TrustProxy): Pick<SessionEvent, "userAgent" | "ip"> {
  const { userAgent, ip } = deviceOf(request, trustProxy);
  return { ...(userAgent === undefined ? {} : { userAgent }), ...(ip === undefined ? {} : { ip }) };
}

export class SessionEvents {
  readonly #hooks: SessionHooks;
  readonly #diagnostics: Diagnostics;
  readonly #timeoutMs: number;
  readonly #running = new Set<Promise<void>>();

  constructor(hooks: SessionHooks | undefined, diagnostics: Diagnostics, timeoutMs: number) {
    this.#hooks = { ...hooks };
    this.#diagnostics = diagnostics;
    this.#timeoutMs = timeoutMs;
  }

  /** Whether anyone listens to `name`: callers skip building the event when nobody does. */
  wants(name: SessionEventName): boolean {
    return this.#hooks[name] !== undefined;
  }

  /** Runs the hook for `name` on a later turn; never throws, never waits. */
  emit(name: SessionEventName, event: SessionEvent): void {
    const hook = this.#hooks[name];
    if (!hook) return;
    if (this.#running.size >= MAX_IN_FLIGHT) {
      this.#diagnostics.warn(`the \`${name}\` event was dropped: ${MAX_IN_FLIGHT} earlier hooks are still running`);
      return;
    }
    // A frozen copy: one hook cannot change what the next one, or a later emit, sees.
    const frozen = Object.freeze({ ...event });
    const run = new Promise<void>((resolve) => {
      setTimeout(() => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const bounded = new Promise<void>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not finish within ${this.#timeoutMs} ms`)), this.#timeoutMs);
          (timer as { unref?: () => void }).unref?.();
        });
        Promise.race([Promise.resolve().then(() => hook(frozen)), bounded])
          .catch((error: unknown) => this.#diagnostics.warn(`the \`${name}\` hook failed`, error))
          .finally(() => {
            clearTimeout(timer);
            resolve();
          });
      }, 0);
    });
    this.#running.add(run);
    void run.then(() => this.#running.delete(run));
  }

  /** Resolves once every hook started so far has finished or timed out (close() waits for it). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }
}
