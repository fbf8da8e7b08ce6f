// Revocation "notify": concurrent single revocations of one engine are written together. Postgres
// serialises NOTIFYing commits database-wide (the notify lock is held through the commit's WAL
// flush), so one commit per revocation caps them near one per flush; one commit for all that
// arrived while the previous write ran lifts that cap. Natural batching: no timer, a lone
// revocation goes out at once as the single `revoke` statement; every caller awaits its own
// durable write and gets its own result or the batch's error.

import type { RevokedSession } from "./store.js";

/** A revocation by handle (`createdBefore`: only a session created by then, maxLifetime's). */
export interface HandleTarget {
  handle: string;
  createdBefore?: Date | undefined;
}

interface Waiter<M> {
  target: HandleTarget;
  /** What the caller hands the write that carries it (its telemetry). */
  member: M;
  resolve(revoked: RevokedSession[]): void;
  reject(error: unknown): void;
}

/** At most this many revocations in one statement: its size and the locks it holds stay bounded. */
const MAX_BATCH = 256;

export class RevocationBatch<M = undefined> {
  #queue: Waiter<M>[] = [];
  #writing = false;

  constructor(
    /** The single revocation (one target): the statement a lone call has always been. */
    private readonly writeOne: (target: HandleTarget) => Promise<RevokedSession[]>,
    /** Several targets in one statement; each handle at most once. */
    private readonly writeMany: (targets: HandleTarget[], members: M[]) => Promise<RevokedSession[]>,
  ) {}

  /** Resolves once the write that carried this revocation has committed: the session it ended, or none. */
  revoke(target: HandleTarget, member: M): Promise<RevokedSession[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ target, member, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) await this.#write(this.#take());
    } finally {
      this.#writing = false;
    }
  }

  /** The next batch: queued targets in order, each handle once (a repeat waits for the next write and, as a second single call would, finds nothing). */
  #take(): Waiter<M>[] {
    const batch: Waiter<M>[] = [];
    const rest: Waiter<M>[] = [];
    const handles = new Set<string>();
    for (const waiter of this.#queue) {
      if (batch.length < MAX_BATCH && !handles.has(waiter.target.handle)) {
        handles.add(waiter.target.handle);
        batch.push(waiter);
      } else rest.push(waiter);
    }
    this.#queue = rest;
    return batch;
  }

  async #write(batch: Waiter<M>[]): Promise<void> {
    let revoked: RevokedSession[];
    try {
      const [only] = batch;
      revoked =
        batch.length === 1 && only
          ? await this.writeOne(only.target)
          : await this.writeMany(
              batch.map((w) => w.target),
              batch.map((w) => w.member),
            );
    } catch (error) {
      // Never silent: every caller of a failed write gets its error (the engine makes each a 500).
      for (const waiter of batch) waiter.reject(error);
      return;
    }
    const byHandle = new Map(revoked.map((r) => [r.handle, r]));
    for (const waiter of batch) {
      const session = byHandle.get(waiter.target.handle);
      waiter.resolve(session ? [session] : []);
    }
  }
}
