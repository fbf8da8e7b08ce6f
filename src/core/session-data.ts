// The private session data's writes: `modifySessionData`'s queued read-modify-write (optimistic,
// then the row lock after a conflict) and the JSON check every write of session data makes.

import type { Engine } from "./engine.js";
import { SessionError } from "./errors.js";
import type { ResponseWriter } from "./http.js";
import { withTimeout } from "./timeout.js";

/** Without a locking store: how often `modifySessionData` retries after losing a race. */
const MODIFY_ATTEMPTS = 50;
/** After a conflict on a session, how long (real ms) its modifications go straight to the row lock. */
const CONTENDED_MS = 1000;

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
