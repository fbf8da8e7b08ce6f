// maxSessionsPerUser under concurrent sign-ins: 50 at once for one user never leave more than the
// cap, at any moment (sampled from another connection meanwhile) or at the end; each sign-in is
// one round trip; evicted sessions are revoked like any other (logged, notified, refused).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { type AnyPgDatabase, drizzleStore } from "../../src/storage/index.js";
import { type TestDb, availableKinds, counter, createTestDb, postgresClient } from "../helpers/db.js";

const CAP = 5;
const CONCURRENT = 50;

describe.each(availableKinds)("maxSessionsPerUser on %s", (kind) => {
  let db: TestDb;
  let wide: { db: AnyPgDatabase; queries: TestDb["queries"]; end(): Promise<void> } | undefined;
  beforeAll(async () => {
    db = await createTestDb(kind);
    if (kind === "postgres" && db.url && db.schema) {
      // Enough connections that the 50 sign-ins really run at once.
      const client = postgresClient(db.url, db.schema, counter(), { max: 25 });
      wide = { db: client.db, queries: client.queries, end: () => client.sql.end({ timeout: 1 }) };
    }
  });
  afterAll(async () => {
    await wide?.end();
    await db.close();
  });

  /** The user's rows, read outside the counters (PGlite: one result set; Postgres: SET, then SELECT). */
  const liveCount = async (userId: string): Promise<number> => {
    const find = (x: unknown): number | undefined => {
      if (Array.isArray(x)) {
        for (let i = x.length - 1; i >= 0; i--) {
          const n = find(x[i]);
          if (n !== undefined) return n;
        }
        return undefined;
      }
      if (x && typeof x === "object") {
        if ("n" in x) return Number((x as { n: unknown }).n);
        if ("rows" in x) return find((x as { rows: unknown }).rows);
      }
      return undefined;
    };
    const n = find(await db.exec(`SELECT count(*)::int AS n FROM sessionkit_sessions WHERE user_id = '${userId}'`));
    if (n === undefined || Number.isNaN(n)) throw new Error("could not read the session count");
    return n;
  };

  it(`${CONCURRENT} concurrent sign-ins of one user leave at most ${CAP} sessions; the evicted are revoked and notified`, async () => {
    const target = wide ?? { db: db.db, queries: db.queries };
    const notifyChannel = `cap_${Math.random().toString(36).slice(2, 10)}`;
    const sessions = createSessions({
      store: drizzleStore(target.db),
      maxSessionsPerUser: CAP,
      revocation: "notify",
      notifyChannel,
      notifyHeartbeatMs: 600_000,
    });
    try {
      // Every pooled connection prepares the capped statement once: warm them all first.
      await Promise.all(Array.from({ length: 30 }, (_, i) => sessions.createNewSession({ userId: `warm-up-${i}` }, new Headers())));
      await new Promise((r) => setTimeout(r, 200));
      const userId = `cap-${Math.random().toString(36).slice(2, 8)}`;

      let sampling = true;
      let maxSeen = 0;
      let samples = 0;
      // PGlite is one connection: the sign-ins queue on it anyway, so only Postgres is sampled.
      const sampler = (async () => {
        while (sampling && wide) {
          maxSeen = Math.max(maxSeen, await liveCount(userId));
          samples++;
        }
      })();
      target.queries.reset();
      const started = performance.now();
      const created = await Promise.all(
        Array.from({ length: CONCURRENT }, () => sessions.createNewSession({ userId }, new Headers()).then((s) => s.getHandle())),
      );
      const elapsed = performance.now() - started;
      const statements = target.queries.count;
      sampling = false;
      await sampler;

      const remaining = (await sessions.listSessions(userId)).map((s) => s.handle);
      console.log(
        `[cap ${kind}] ${CONCURRENT} concurrent sign-ins, cap ${CAP}: ${elapsed.toFixed(0)} ms, ${statements} statements, ` +
          `max sessions seen ${maxSeen} in ${samples} samples, ${remaining.length} left`,
      );
      expect(statements).toBe(CONCURRENT);
      expect(remaining).toHaveLength(CAP);
      expect(maxSeen).toBeLessThanOrEqual(CAP);
      expect(await liveCount(userId)).toBe(CAP);
      // The survivors are sessions this run created; the others were revoked (refused by the engine too).
      for (const h of remaining) expect(created).toContain(h);
      const evicted = created.filter((h) => !remaining.includes(h));
      expect(evicted).toHaveLength(CONCURRENT - CAP);
      const logged = await drizzleStore(db.db).revocationsSince(0, new Date(0));
      expect(
        logged
          .map((e) => e.handle)
          .filter((h) => evicted.includes(h))
          .sort(),
      ).toEqual([...evicted].sort());
    } finally {
      await sessions.close();
    }
  });

  it("evicts the least recently active, keeps the new sign-in, and the evicted token is refused everywhere", async () => {
    let t = Date.parse("2026-04-01T00:00:00Z");
    const now = () => t;
    const notifyChannel = `cap_${Math.random().toString(36).slice(2, 10)}`;
    const options = {
      store: drizzleStore(db.db),
      now,
      maxSessionsPerUser: 2,
      revocation: "notify" as const,
      notifyChannel,
      notifyHeartbeatMs: 600_000,
    };
    const a = createSessions(options);
    const b = createSessions(options);
    try {
      const userId = `lru-${Math.random().toString(36).slice(2, 8)}`;
      const cookiesOf = (h: Headers) =>
        h
          .getSetCookie()
          .map((l) => l.split(";")[0])
          .join("; ");
      const first = new Headers();
      await a.createNewSession({ userId }, first);
      t += 1000;
      const second = new Headers();
      await a.createNewSession({ userId }, second);
      t += 1000;
      // first refreshes: second is now the least recently active.
      const refreshed = new Headers();
      await a.refreshSession(
        new Request("http://x/auth/session/refresh", { method: "POST", headers: { cookie: cookiesOf(first), rid: "s" } }),
        refreshed,
      );
      const request = (h: Headers) => new Request("http://x/me", { headers: { cookie: cookiesOf(h) } });
      const secondOnB = await b.getSession(request(second), new Headers());
      await new Promise((r) => setTimeout(r, 200));
      t += 1000;
      db.queries.reset();
      const third = await a.createNewSession({ userId }, new Headers());
      expect(db.queries.count).toBe(1);
      expect((await a.listSessions(userId)).map((s) => s.handle).sort()).toEqual(
        [third.getHandle(), (await a.getSession(request(refreshed), new Headers())).getHandle()].sort(),
      );
      // Instance a knows at once; instance b through its listener.
      await expect(a.getSession(request(second), new Headers())).rejects.toMatchObject({ code: "UNAUTHORISED" });
      const deadline = Date.now() + 2000;
      let refused = false;
      while (!refused && Date.now() < deadline) {
        refused = await b.getSession(request(second), new Headers()).then(
          () => false,
          () => true,
        );
        if (!refused) await new Promise((r) => setTimeout(r, 10));
      }
      expect(secondOnB.getUserId()).toBe(userId);
      expect(refused).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
