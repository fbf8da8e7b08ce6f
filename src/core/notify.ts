// Revocation "notify": revoked handles live in memory, fed by the store's LISTEN/NOTIFY, so
// verification needs no store call. Fail closed: until the listener is up and has read the
// revocation log, and whenever it drops, every verification asks the store instead.

import { CLAIMS_NOTICE_PREFIX, parseClaimsNotice } from "./claims.js";
import type { ResolvedOptions } from "./options.js";
import { OutageLog } from "./outage-log.js";
import type { RevocationGuard } from "./revocation.js";
import type { ListenHandlers } from "./store.js";

const RETRY_MS = 1000;
const PRUNE_EVERY_MS = 60_000;

export function notifyGuard(
  options: ResolvedOptions,
  run: <T>(operation: () => Promise<T>) => Promise<T>,
  onRevoked: (handles: readonly string[]) => void = () => {},
  onClaimsNotice: (userId: string, atMs: number) => void = () => {},
): RevocationGuard {
  const { store } = options;
  const listen = store.listen?.bind(store);
  if (!listen) {
    throw new TypeError('sessionkit: revocation "notify" needs a store that can LISTEN (drizzleStore on postgres.js or PGlite)');
  }
  // A revoked handle must be remembered as long as an access token for it can still be valid.
  const windowMs = (options.accessTokenTtl + 60) * 1000;
  const revoked = new Map<string, number>();
  let lastPrune = options.now();
  let listening = false;
  let live = false;
  let closed = false;
  let epoch = 0;
  let lagMs: number | undefined;
  let stop: (() => Promise<void>) | undefined;
  const closing = new AbortController();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const outage = new OutageLog(options.onWarning, options.now);

  const remember = (handle: string, atMs: number) => {
    if (!revoked.has(handle)) onRevoked([handle]);
    revoked.set(handle, atMs);
    const now = options.now();
    if (now - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = now;
      for (const [h, at] of revoked) if (now - at > windowMs) revoked.delete(h);
    }
  };

  // Every pending retry is tracked so close() cancels them all, and each re-checks `closed`:
  // a retry that fires after close() must not open a connection nobody will end.
  const retry = (what: () => void) => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) what();
    }, RETRY_MS);
    (timer as { unref?: () => void }).unref?.();
    timers.add(timer);
  };

  const catchUp = async (): Promise<void> => {
    const mine = ++epoch;
    live = false;
    try {
      const entries = await run(() => store.revocationsSince(0, new Date(options.now() - windowMs)));
      for (const entry of entries) remember(entry.handle, entry.revokedAt.getTime());
      if (mine === epoch && listening && !closed) {
        live = true;
        outage.recovered();
      }
    } catch (error) {
      if (closed) return;
      outage.dropped("could not read the revocation log", error);
      retry(() => {
        if (mine === epoch && listening) void catchUp();
      });
    }
  };

  const handlers: ListenHandlers = {
    onNotify(payload) {
      // refreshClaimsForUser shares the channel: its notices name a user, not a revoked handle.
      const claims = parseClaimsNotice(payload);
      if (claims) return onClaimsNotice(claims.userId, claims.atMs);
      if (payload.startsWith(CLAIMS_NOTICE_PREFIX)) return;
      const handle = payload.split(":")[0];
      if (handle) remember(handle, options.now());
    },
    onListen() {
      listening = true;
      void catchUp();
    },
    onProbe(ms) {
      lagMs = ms;
    },
    onDrop(error) {
      listening = false;
      live = false;
      epoch++;
      outage.dropped("the revocation listener dropped", error);
    },
  };

  const start = async (): Promise<void> => {
    try {
      const stopListening = await listen(options.notifyChannel, handlers, closing.signal, { heartbeatMs: options.notifyHeartbeatMs });
      if (closed) await stopListening();
      else stop = stopListening;
    } catch (error) {
      if (closed) return;
      outage.dropped("could not LISTEN for revocations", error);
      retry(() => {
        starting = start();
      });
    }
  };
  // The latest attempt, so close() waits for one that a retry started, not only the first.
  let starting = start();

  return {
    isRevoked(claims) {
      if (revoked.has(claims.handle)) return true;
      if (live) return false;
      return run(() => store.sessionExists(claims.handle, new Date(options.now()))).then((exists) => !exists);
    },
    noteRevoked(handles) {
      const now = options.now();
      for (const handle of handles) remember(handle, now);
    },
    live: () => live,
    lagMs: () => lagMs,
    async close() {
      closed = true;
      live = false;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      closing.abort(new Error("sessionkit: closed"));
      await starting;
      await stop?.();
    },
  };
}
