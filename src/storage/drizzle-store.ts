// `drizzleStore(db)`: the SessionStore on any Drizzle Postgres database. Every method is one
// statement, so one round trip; the refresh rotation is a single conditional UPDATE … RETURNING.

import { and, eq, gt, sql } from "drizzle-orm";
import type { SessionStore } from "../core/store.js";
import { cleanup, cleanupBatch } from "./cleanup.js";
import { driverOf, refuseReadTransform } from "./driver.js";
import { canListen, listenOn } from "./listen.js";
import type { AnyPgDatabase } from "./migrate.js";
import { revokeHandles } from "./revoke-handles.js";
import { clearClaims, revokeSessions } from "./revoke.js";
import { sessionkitKeys as keys, sessionkitRevocations as revocations, sessionkitSessions as sessions } from "./schema.js";
import { rotationOf, type RotationRow } from "./rotation-row.js";
import { driverRows, preparedStatements } from "./statements.js";
import { jsonb } from "./values.js";

/** Options of `drizzleStore`. */
export interface DrizzleStoreOptions {
  /**
   * A Drizzle database on a direct (unpooled) connection to the same Postgres, for revocation
   * `"notify"`'s LISTEN, when `db` sits behind PgBouncer in transaction mode (where LISTEN does
   * not stay on one server connection). Only its connection options are used: the listener
   * opens one connection of its own.
   */
  listen?: AnyPgDatabase;
  /**
   * `false` sends every statement unnamed. Needed on node-postgres behind PgBouncer in transaction
   * mode before 1.21 (named prepared statements live on one server connection); postgres.js
   * takes its client's own `prepare: false` instead. Default `true`.
   */
  prepare?: boolean;
}

/**
 * A session store on a Drizzle Postgres database: postgres.js or node-postgres for a server,
 * PGlite embedded. Behind PgBouncer in transaction mode pass `{ listen: directDb }` for
 * revocation `"notify"` (and `prepare: false` on node-postgres before PgBouncer 1.21).
 */
export function drizzleStore(db: AnyPgDatabase, options: DrizzleStoreOptions = {}): SessionStore {
  driverOf(db, "db");
  refuseReadTransform(db, "db");
  const listenDb = options.listen ?? db;
  if (options.listen) driverOf(options.listen, "db, { listen }");
  const client = (listenDb as { $client?: unknown }).$client;
  const live = (handle: string, now: Date) => and(eq(sessions.handle, handle), gt(sessions.expiresAt, now));
  const statements = preparedStatements(db, options.prepare);

  return {
    async createSession(record, cap) {
      const values = {
        handle: record.handle,
        userId: record.userId,
        jwtPayload: JSON.stringify(record.jwtPayload),
        sessionData: JSON.stringify(record.sessionData),
        refreshHash: record.refreshHash,
        createdAt: record.createdAt.toISOString(),
        expiresAt: record.expiresAt.toISOString(),
        userAgent: record.userAgent ?? null,
        ip: record.ip ?? null,
        // A real boolean: postgres.js serialises a boolean parameter from `true`/`false` only.
        remember: record.remember !== false,
      };
      if (cap === undefined) {
        await statements.createSession().execute(values);
        return [];
      }
      const rows = await statements
        .createSessionCapped()
        .execute({ ...values, maxSessions: cap.maxSessions, notifyChannel: cap.notifyChannel ?? null });
      return rows.map((r) => ({
        handle: r.handle,
        ...(r.userAgent === null ? {} : { userAgent: r.userAgent }),
        ...(r.ip === null ? {} : { ip: r.ip }),
      }));
    },

    async getSession(handle, now) {
      const [row] = await statements.getSession().execute({ handle, now: now.toISOString() });
      return row;
    },

    async sessionExists(handle, now) {
      const rows = await statements.sessionExists().execute({ handle, now: now.toISOString() });
      return rows.length > 0;
    },

    async liveHandles(handles, now) {
      if (handles.length === 0) return [];
      // One text parameter however many handles (a parameter per handle would hit the protocol's limit).
      const rows = await db
        .select({ handle: sessions.handle })
        .from(sessions)
        .where(
          and(
            sql`${sessions.handle} IN (SELECT jsonb_array_elements_text(${JSON.stringify(handles)}::text::jsonb))`,
            gt(sessions.expiresAt, now),
          ),
        );
      return rows.map((r) => r.handle);
    },

    async getSessionData(handle, now) {
      const [row] = await statements.getSessionData().execute({ handle, now: now.toISOString() });
      return row;
    },

    async setSessionData(handle, data, now, expectedVersion) {
      const values = { handle, now: now.toISOString(), data: JSON.stringify(data) };
      const rows =
        expectedVersion === undefined
          ? await statements.setSessionData().execute(values)
          : await statements.setSessionDataIfVersion().execute({ ...values, version: expectedVersion });
      return rows.length > 0;
    },

    async modifySessionDataLocked(handle, now, fn) {
      // BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT: concurrent callers queue on the row lock
      // instead of retrying, and `fn` always sees the latest committed data.
      return db.transaction(async (tx) => {
        const [row] = await tx.select({ data: sessions.sessionData }).from(sessions).where(live(handle, now)).limit(1).for("update");
        if (!row) return undefined;
        const data = await fn(row.data);
        await tx
          .update(sessions)
          .set({ sessionData: jsonb(data), dataVersion: sql`${sessions.dataVersion} + 1` })
          .where(eq(sessions.handle, handle));
        return { data };
      });
    },

    async setJWTPayload(handle, payload, now) {
      const [row] = await driverRows<{ remember: boolean }>(statements.setJWTPayload(), {
        handle,
        now: now.toISOString(),
        payload: JSON.stringify(payload),
      });
      return row === undefined ? undefined : { remember: row.remember };
    },

    async rotateRefresh(input) {
      const [row] = await driverRows<RotationRow>(statements.rotateRefresh(), {
        handle: input.handle,
        now: input.now.toISOString(),
        presentedHash: input.presentedHash,
        nextHash: input.nextHash,
        nextNonce: input.nextNonce,
        nextGeneration: input.nextGeneration,
        expiresAt: input.expiresAt.toISOString(),
        ip: input.ip ?? null,
        maxLifetime: input.maxLifetime ?? null,
      });
      return row === undefined ? undefined : rotationOf(row);
    },

    revoke: (input) => revokeSessions(db, input),

    revokeHandles: (input) => revokeHandles(db, input),

    clearClaims: (input) => clearClaims(db, input),

    async listHandles(userId, now) {
      const rows = await db
        .select({ handle: sessions.handle })
        .from(sessions)
        .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, now)))
        .orderBy(sessions.createdAt);
      return rows.map((r) => r.handle);
    },

    async listSessions(userId, now) {
      const rows = await statements.listSessions().execute({ userId, now: now.toISOString() });
      return rows.map((r) => ({ ...r, userAgent: r.userAgent ?? undefined, ip: r.ip ?? undefined }));
    },

    async loadKeys(now) {
      const rows = await db.select().from(keys).where(gt(keys.expiresAt, now));
      return rows.map((r) => ({ ...r, publicJwk: r.publicJwk ?? null }));
    },

    async insertKey(key) {
      await db.insert(keys).values(key).onConflictDoNothing();
    },

    async replacePrivateKey(kid, privateJwk, expected) {
      const rows = await db
        .update(keys)
        .set({ privateJwk: jsonb(privateJwk) as unknown as JsonWebKey })
        .where(and(eq(keys.kid, kid), sql`${keys.privateJwk} = ${JSON.stringify(expected)}::text::jsonb`))
        .returning({ kid: keys.kid });
      return rows.length > 0;
    },

    async revocationsSince(afterId, since) {
      return db
        .select()
        .from(revocations)
        .where(and(gt(revocations.id, afterId), gt(revocations.revokedAt, since)))
        .orderBy(revocations.id);
    },

    cleanupBatch: (input) => cleanupBatch(db, input),

    cleanup: (now, revocationsBefore) => cleanup(db, now, revocationsBefore),

    // Only where we can LISTEN, so `revocation: "notify"` on another driver fails at
    // createSessions instead of retrying forever in the background.
    listen: canListen(client)
      ? (channel, handlers, signal, options) => listenOn(client, channel, handlers, { signal, heartbeatMs: options?.heartbeatMs })
      : undefined,
  };
}
