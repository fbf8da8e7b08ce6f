// Live connections: `session.signal`, an AbortSignal that aborts when the session is revoked (as
// the revocation mode sees it) or its access token expires. One registry and one timer per
// `createSessions` instance, however many streams are open; nothing is kept once a stream's
// session object is gone (weak references, cleaned up by a FinalizationRegistry).

import type { AccessClaims } from "./access-token.js";
import type { SessionError, SessionErrorCode } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import type { RevocationGuard } from "./revocation.js";

/** Most handles asked about in one statement of the periodic check. */
const POLL_CHUNK = 10_000;

type MakeError = (code: Exclude<SessionErrorCode, "GENERAL_ERROR">, message: string) => SessionError;

/** One watched session object: its controller, and where the registry files it. */
interface Watch {
  readonly controller: AbortController;
  readonly handle: string;
  /** Expiry of its access token, in whole seconds (the bucket it sits in). */
  readonly exp: number;
  readonly ref: WeakRef<Watch>;
}

/** Keeps a signal's watch (and so its controller) alive exactly as long as the signal is. */
const watchOfSignal = new WeakMap<AbortSignal, Watch>();

export class LiveSessions {
  readonly #byHandle = new Map<string, Set<WeakRef<Watch>>>();
  /** Watches by access-token expiry second: a tick looks only at the buckets that are due. */
  readonly #byExpiry = new Map<number, Set<WeakRef<Watch>>>();
  readonly #finalizer = new FinalizationRegistry<{ handle: string; exp: number; ref: WeakRef<Watch> }>((held) => this.#forget(held));
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling = false;
  #closed = false;
  #size = 0;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly run: <T>(operation: () => Promise<T>) => Promise<T>,
    private readonly makeError: MakeError,
    private readonly guard: () => RevocationGuard,
  ) {}

  /** Watched session objects still registered (for tests and the benchmark). */
  get size(): number {
    return this.#size;
  }

  /** A new signal for these verified claims; already aborted when they are expired or revoked. */
  signalFor(claims: AccessClaims): AbortSignal {
    const controller = new AbortController();
    const expired = this.#expiredError(claims);
    if (expired) {
      controller.abort(expired);
      return controller.signal;
    }
    const watch = { controller, handle: claims.handle, exp: claims.exp } as { -readonly [K in keyof Watch]: Watch[K] };
    watch.ref = new WeakRef(watch as Watch);
    const ref = watch.ref;
    addTo(this.#byHandle, claims.handle, ref);
    addTo(this.#byExpiry, claims.exp, ref);
    this.#size++;
    this.#finalizer.register(watch, { handle: claims.handle, exp: claims.exp, ref }, watch);
    watchOfSignal.set(controller.signal, watch as Watch);
    this.#schedule();
    // Already revoked (a notice that arrived before this stream started): end it now.
    const revoked = this.guard().isRevoked(claims);
    if (revoked === true) this.#end(watch as Watch, this.#revokedError());
    else if (revoked !== false) {
      revoked.then(
        (yes) => yes && this.#end(watch as Watch, this.#revokedError()),
        () => {}, // a store outage is not a revocation: the periodic check tries again
      );
    }
    return controller.signal;
  }

  /**
   * Whether claims verified earlier (when a connection opened) still hold: undefined when they
   * do, else the SessionError. From memory with "notify" and "none"; "check-database" asks.
   */
  check(claims: AccessClaims): SessionError | undefined | Promise<SessionError | undefined> {
    const expired = this.#expiredError(claims);
    if (expired) return expired;
    const revoked = this.guard().isRevoked(claims);
    if (revoked === false) return undefined;
    if (revoked === true) return this.#revokedError();
    return revoked.then((yes) => (yes ? this.#revokedError() : undefined));
  }

  /** These sessions were revoked (seen by this process): abort their signals now. */
  revoked(handles: Iterable<string>): void {
    if (this.#size === 0) return;
    for (const handle of handles) {
      const refs = this.#byHandle.get(handle);
      if (!refs) continue;
      const error = this.#revokedError();
      for (const ref of [...refs]) {
        const watch = ref.deref();
        if (watch) this.#end(watch, error);
      }
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #expiredError(claims: AccessClaims): SessionError | undefined {
    return claims.exp * 1000 <= this.options.now() ? this.makeError("TRY_REFRESH_TOKEN", "access token expired") : undefined;
  }

  #revokedError(): SessionError {
    return this.makeError("UNAUTHORISED", "the session has been revoked");
  }

  #end(watch: Watch, reason: SessionError): void {
    this.#forget({ handle: watch.handle, exp: watch.exp, ref: watch.ref });
    this.#finalizer.unregister(watch);
    watch.controller.abort(reason);
  }

  #forget(held: { handle: string; exp: number; ref: WeakRef<Watch> }): void {
    const removed = removeFrom(this.#byHandle, held.handle, held.ref);
    removeFrom(this.#byExpiry, held.exp, held.ref);
    if (removed) this.#size--;
  }

  /** One timer for everything: due at the next expiry, and at least every `liveCheckIntervalMs`. */
  #schedule(): void {
    if (this.#timer !== undefined || this.#closed || this.#size === 0) return;
    let delay = this.options.liveCheckIntervalMs;
    const now = this.options.now();
    for (const exp of this.#byExpiry.keys()) delay = Math.min(delay, Math.max(0, exp * 1000 - now));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
      this.#schedule();
    }, delay);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #tick(): void {
    const nowSeconds = this.options.now() / 1000;
    for (const [exp, refs] of [...this.#byExpiry]) {
      if (exp > nowSeconds) continue;
      for (const ref of [...refs]) {
        const watch = ref.deref();
        if (watch) this.#end(watch, this.makeError("TRY_REFRESH_TOKEN", "access token expired"));
      }
      this.#byExpiry.delete(exp);
    }
    const mode = this.options.revocation;
    const guard = this.guard();
    // "check-database", and "notify" while its listener is down (failing closed): one statement
    // per interval for every session with an open stream, never one per stream.
    if (mode === "check-database" || (mode === "notify" && guard.live?.() === false)) void this.#poll();
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#byHandle.size === 0) return;
    this.#polling = true;
    try {
      const handles = [...this.#byHandle.keys()];
      for (let i = 0; i < handles.length; i += POLL_CHUNK) {
        const chunk = handles.slice(i, i + POLL_CHUNK);
        const live = new Set(await this.run(() => this.options.store.liveHandles(chunk, new Date(this.options.now()))));
        this.revoked(chunk.filter((handle) => !live.has(handle)));
      }
    } catch (error) {
      this.options.onWarning("sessionkit: could not check the sessions of open streams; trying again at the next interval", error);
    } finally {
      this.#polling = false;
    }
  }
}

function addTo<K>(map: Map<K, Set<WeakRef<Watch>>>, key: K, ref: WeakRef<Watch>): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(ref);
}

function removeFrom<K>(map: Map<K, Set<WeakRef<Watch>>>, key: K, ref: WeakRef<Watch>): boolean {
  const set = map.get(key);
  if (!set?.delete(ref)) return false;
  if (set.size === 0) map.delete(key);
  return true;
}
