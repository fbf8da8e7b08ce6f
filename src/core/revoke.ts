// Revoking sessions: the store's revocation (with "notify", logged, announced, and concurrent
// single revocations batched: revocation-batch.ts), then this process's answer: the guard refuses
// the handles at once (revocation.ts), and telemetry and the `revoked`/`theft` events report them.

import type { Engine } from "./engine.js";
import type { RevocationReason } from "./events.js";
import { RevocationBatch } from "./revocation-batch.js";
import type { RevokeInput } from "./store.js";
import type { OperationNotes } from "./telemetry.js";
import { withTimeout } from "./timeout.js";

/** A session the store has ended, with its device when the store reports it. */
interface EndedSession {
  handle: string;
  userId: string;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** One engine's revocations (a `withStore` engine has its own: its store, its batch). */
export class Revoker {
  #batch: RevocationBatch<OperationNotes> | undefined;

  constructor(private readonly engine: Engine) {}

  /**
   * Revokes sessions in the store and in this process; returns the revoked handles. Reports each
   * as `revoked` (and `theft`) here, on the instance that made the call, never where it is heard.
   */
  async revoke(by: RevokeInput["by"], reason?: RevocationReason): Promise<string[]> {
    const engine = this.engine;
    const why = reason ?? ("handle" in by ? "revokedByHandle" : "revokedByUser");
    const attributes = { "sessionkit.revocation.by": "handle" in by ? "handle" : "user", "sessionkit.revocation.reason": why };
    return engine.telemetry.operation("revoke", attributes, async (notes) => {
      const now = engine.now();
      const batch = "handle" in by ? this.revocationBatch() : undefined;
      const revoked = await engine.run(() =>
        batch && "handle" in by ? batch.revoke(by, notes) : engine.options.store.revoke({ by, ...this.revokeInput(now) }),
      );
      notes.set("sessionkit.revocation.sessions", revoked.length);
      this.noteRevoked(revoked, now, why);
      return revoked.map((r) => r.handle);
    });
  }

  /** The store's revocation input: with "notify", logged, announced and pruning the log. */
  private revokeInput(now: Date): Omit<RevokeInput, "by"> {
    const { options } = this.engine;
    const notifyChannel = options.revocation === "notify" ? options.notifyChannel : undefined;
    return { now, notifyChannel, pruneBefore: notifyChannel === undefined ? undefined : this.engine.revocationLogStart(now) };
  }

  /**
   * "notify" on a store that can revoke several handles at once: concurrent single revocations
   * share one commit (revocation-batch.ts). Each write keeps its own time limit, so a hung one
   * cannot hold the queue behind it; each caller's `run` keeps the caller's own.
   */
  private revocationBatch(): RevocationBatch<OperationNotes> | undefined {
    const { store, revocation, storeTimeoutMs } = this.engine.options;
    const { telemetry } = this.engine;
    if (revocation !== "notify" || !store.revokeHandles) return undefined;
    const limit = <T>(work: Promise<T>) =>
      withTimeout(work, storeTimeoutMs, () => new Error(`session store did not answer within ${storeTimeoutMs} ms`));
    this.#batch ??= new RevocationBatch(
      (target) => limit(store.revoke({ by: target, ...this.revokeInput(this.engine.now()) })),
      // A write for several callers: its own span, linked to each caller's (telemetry-batch.ts).
      (targets, members) =>
        telemetry.batch(members, () =>
          limit(store.revokeHandles?.({ targets, ...this.revokeInput(this.engine.now()) }) ?? Promise.resolve([])),
        ),
    );
    return this.#batch;
  }

  /**
   * Sessions the store has ended (a revocation, or a sign-in beyond `maxSessionsPerUser`): refused
   * here at once, and reported; an evicted session's own device goes into its `revoked` event.
   */
  noteRevoked(revoked: readonly EndedSession[], now: Date, why: RevocationReason): void {
    const { revocation, telemetry, events } = this.engine;
    revocation.noteRevoked(revoked.map((r) => r.handle));
    telemetry.revoked(why, revoked.length);
    for (const { handle, userId, ip, userAgent } of revoked) {
      events.emit("revoked", {
        handle,
        userId,
        at: now,
        ...(ip === undefined ? {} : { ip }),
        ...(userAgent === undefined ? {} : { userAgent }),
        reason: why,
      });
      if (why === "theft") events.emit("theft", { handle, userId, at: now, reason: why });
    }
  }
}
