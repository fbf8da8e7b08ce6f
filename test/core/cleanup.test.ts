// cleanup() in bounded batches and the revocation log's pruning, on real databases: exactly the
// expired rows go, in the documented number of statements (counted on the driver).

import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type SessionStore, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { rowsOf } from "../../src/storage/rows.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(availableKinds)("cleanup and log pruning on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.exec("DELETE FROM sessionkit_sessions; DELETE FROM sessionkit_revocations; DELETE FROM sessionkit_keys");
  });

  /** `total` sessions, every `every`-th expired (n = 1 … total); returns the live handles. */
  async function seed(total: number, every: number): Promise<string[]> {
    await db.exec(`INSERT INTO sessionkit_sessions (handle, user_id, refresh_hash, created_at, expires_at, last_active_at)
      SELECT 'h-' || n, 'u-' || (n % 7), 'hash-' || n, '${iso(NOW - 86_400_000)}'::timestamptz,
             CASE WHEN n % ${every} = 0 THEN '${iso(NOW - 1000)}'::timestamptz ELSE '${iso(NOW + 86_400_000)}'::timestamptz END,
             '${iso(NOW - 86_400_000)}'::timestamptz
      FROM generate_series(1, ${total}) AS n`);
    return Array.from({ length: total }, (_, i) => i + 1)
      .filter((n) => n % every !== 0)
      .map((n) => `h-${n}`);
  }

  /** Rows of a query on the test's own connection (not inside a counted window). */
  const query = async <T>(text: string) => rowsOf<T>(await db.db.execute(sql.raw(text)));
  const handles = async () => (await query<{ handle: string }>("SELECT handle FROM sessionkit_sessions")).map((r) => r.handle).sort();

  function sessionsAt(clock = testClock(NOW)) {
    return createSessions({ store: drizzleStore(db.db), now: clock.now, secret: "cleanup-test-secret-0123456789abcdef" });
  }

  it("deletes exactly the expired sessions, batchSize at a time: ⌊expired / batchSize⌋ + 1 statements on a small table", async () => {
    const live = await seed(750, 3); // 250 expired
    const sessions = sessionsAt();
    db.queries.reset();
    const removed = await sessions.cleanup({ batchSize: 100 });
    expect(removed).toEqual({ sessions: 250, keys: 0, revocations: 0 });
    expect(db.queries.count).toBe(3);
    expect(await handles()).toEqual([...live].sort());
    // Nothing left: one statement finds that out.
    db.queries.reset();
    expect(await sessions.cleanup({ batchSize: 100 })).toEqual({ sessions: 0, keys: 0, revocations: 0 });
    expect(db.queries.count).toBe(1);
  });

  it("an exact multiple of batchSize takes one more statement to see that nothing is left", async () => {
    await seed(400, 2); // 200 expired
    db.queries.reset();
    expect((await sessionsAt().cleanup({ batchSize: 100 })).sessions).toBe(200);
    expect(db.queries.count).toBe(3);
  });

  it("walks a table larger than one slice of pages, and the default batch does it in one statement here", async () => {
    const live = await seed(3000, 10); // 300 expired, spread over every page
    const [{ pages } = { pages: 0 }] = await query<{ pages: number }>(
      "SELECT (pg_relation_size('sessionkit_sessions') / 8192)::int AS pages",
    );
    expect(pages).toBeGreaterThan(20);
    db.queries.reset();
    // batchSize 5: slices of 20 pages, at most 5 rows a statement.
    expect((await sessionsAt().cleanup({ batchSize: 5 })).sessions).toBe(300);
    expect(db.queries.count).toBeGreaterThanOrEqual(300 / 5);
    expect(db.queries.count).toBeLessThanOrEqual(300 / 5 + Math.ceil(pages / 20) + 1);
    expect(await handles()).toEqual([...live].sort());
    await db.exec("DELETE FROM sessionkit_sessions");
    await seed(30, 10);
    db.queries.reset();
    expect((await sessionsAt().cleanup()).sessions).toBe(3);
    expect(db.queries.count).toBe(1);
  });

  it("prunes the revocation log in batches too, keeping what a listener catching up still needs", async () => {
    const ttl = 3600;
    const cutoff = NOW - (ttl + 60) * 1000;
    await db.exec(`INSERT INTO sessionkit_revocations (handle, revoked_at)
      SELECT 'old-' || n, '${iso(cutoff - 1000)}'::timestamptz - n * interval '1 second' FROM generate_series(1, 150) AS n;
      INSERT INTO sessionkit_revocations (handle, revoked_at)
      SELECT 'kept-' || n, '${iso(cutoff + 1000)}'::timestamptz FROM generate_series(1, 10) AS n`);
    db.queries.reset();
    expect(await sessionsAt().cleanup({ batchSize: 100 })).toEqual({ sessions: 0, keys: 0, revocations: 150 });
    expect(db.queries.count).toBe(2);
    const left = (await drizzleStore(db.db).revocationsSince(0, new Date(0))).map((r) => r.handle).sort();
    expect(left).toEqual(Array.from({ length: 10 }, (_, i) => `kept-${i + 1}`).sort());
  });

  it("pauseMs spaces the batches out: the same rows and the same statements", async () => {
    const live = await seed(750, 3); // 250 expired
    db.queries.reset();
    expect(await sessionsAt().cleanup({ batchSize: 100, pauseMs: 20 })).toEqual({ sessions: 250, keys: 0, revocations: 0 });
    expect(db.queries.count).toBe(3);
    expect(await handles()).toEqual([...live].sort());
  });

  it("rejects a pauseMs that is negative or not a number", async () => {
    await expect(sessionsAt().cleanup({ pauseMs: -1 })).rejects.toThrow(TypeError);
    await expect(sessionsAt().cleanup({ pauseMs: Number.NaN })).rejects.toThrow(TypeError);
  });

  it("rejects a batchSize that is not a positive integer", async () => {
    await expect(sessionsAt().cleanup({ batchSize: 0 })).rejects.toThrow(TypeError);
    await expect(sessionsAt().cleanup({ batchSize: 1.5 })).rejects.toThrow(TypeError);
  });

  it("a logged revocation prunes up to 2 × logged + 16 entries older than its cutoff, oldest first, in its one statement", async () => {
    const store = drizzleStore(db.db);
    const now = new Date(NOW);
    const cutoff = new Date(NOW - 70_000);
    await seed(20, 1000); // 20 live sessions, users u-0 … u-6
    await db.exec(`INSERT INTO sessionkit_revocations (handle, revoked_at)
      SELECT 'old-' || lpad(n::text, 3, '0'), '${iso(NOW - 100_000)}'::timestamptz + n * interval '1 millisecond' FROM generate_series(1, 100) AS n;
      INSERT INTO sessionkit_revocations (handle, revoked_at)
      SELECT 'recent-' || n, '${iso(NOW - 1000)}'::timestamptz FROM generate_series(1, 5) AS n`);
    const log = async () => (await store.revocationsSince(0, new Date(0))).map((r) => r.handle);

    db.queries.reset();
    const one = await store.revoke({ by: { handle: "h-1" }, now, notifyChannel: "sk_cleanup_test", pruneBefore: cutoff });
    expect(one.map((r) => r.handle)).toEqual(["h-1"]);
    expect(db.queries.count).toBe(1);
    let entries = await log();
    // 18 of the oldest gone (old-001 … old-018), the rest and the recent ones kept, h-1 logged.
    expect(entries.filter((h) => h.startsWith("old-")).sort()[0]).toBe("old-019");
    expect(entries.filter((h) => h.startsWith("old-"))).toHaveLength(82);
    expect(entries.filter((h) => h.startsWith("recent-"))).toHaveLength(5);
    expect(entries).toContain("h-1");

    // Sign-out everywhere of u-3 (h-3, h-10, h-17): 3 logged, 2 × 3 + 16 = 22 pruned.
    const user = await store.revoke({ by: { userId: "u-3" }, now, notifyChannel: "sk_cleanup_test", pruneBefore: cutoff });
    expect(user.map((r) => r.handle).sort()).toEqual(["h-10", "h-17", "h-3"]);
    entries = await log();
    expect(entries.filter((h) => h.startsWith("old-"))).toHaveLength(60);

    // Without pruneBefore (a store caller of 0.1) nothing is pruned.
    await store.revoke({ by: { handle: "h-2" }, now, notifyChannel: "sk_cleanup_test" });
    expect((await log()).filter((h) => h.startsWith("old-"))).toHaveLength(60);
  });

  it('createSessions passes the log\'s window (accessTokenTtl + 60 s) as the cutoff under "notify" only', async () => {
    const seen: (Date | undefined)[] = [];
    const real = drizzleStore(db.db);
    // The real store, recording what the core asks of it.
    const store: SessionStore = {
      ...real,
      revoke(input) {
        seen.push(input.pruneBefore);
        return real.revoke(input);
      },
    };
    const clock = testClock(NOW);
    await seed(10, 1000);
    const common = { store, now: clock.now, accessTokenTtl: 600, secret: "cleanup-test-secret-0123456789abcdef" };
    const notifying = createSessions({
      ...common,
      revocation: "notify",
      notifyChannel: `sk_cleanup_${Math.random().toString(36).slice(2, 8)}`,
    });
    const plain = createSessions(common);
    try {
      await notifying.revokeSession("h-1");
      await plain.revokeSession("h-2");
      expect(seen.map((d) => d?.getTime())).toEqual([NOW - 660_000, undefined]);
    } finally {
      await notifying.close();
      await plain.close();
    }
  });
});
