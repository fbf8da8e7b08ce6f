// Session handles are UUIDv7 (RFC 9562): the injected clock's milliseconds first, then version 7,
// a counter that keeps them increasing within a millisecond, the variant and random bits. Handles
// minted later sort later as text, also in Postgres under the database's collation (the primary
// key's order), and rows with the UUIDv4 handles of older versions keep working.

import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importHmacKey } from "../../src/core/encoding.js";
import { HandleClock } from "../../src/core/handles.js";
import { mintRefreshToken, openRefreshToken } from "../../src/core/refresh-token.js";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { rowsOf } from "../../src/storage/rows.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timeOf = (handle: string) => Number.parseInt(handle.slice(0, 8) + handle.slice(9, 13), 16);
const SECRET = "handles-test-secret-0123456789abcdef";
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

describe("UUIDv7 session handles", () => {
  it("carry the injected clock's milliseconds, version 7 and the RFC 9562 variant", () => {
    const at = Date.UTC(2026, 11, 2, 4, 30);
    const handle = new HandleClock(random, () => at).next();
    expect(handle).toMatch(UUID);
    expect(timeOf(handle)).toBe(at);
  });

  it("increase strictly within one millisecond, past 4,096 handles, and when the clock goes back", () => {
    let now = 1_800_000_000_000;
    const clock = new HandleClock(random, () => now);
    const handles = Array.from({ length: 10_000 }, () => clock.next());
    now -= 5_000;
    handles.push(clock.next(), clock.next());
    now += 60_000;
    handles.push(clock.next());
    for (const h of handles) expect(h).toMatch(UUID);
    expect([...handles].sort()).toEqual(handles);
    expect(new Set(handles).size).toBe(handles.length);
    // 10,000 in one millisecond borrow at most a few milliseconds ahead.
    expect(timeOf(handles[9_999] as string) - 1_800_000_000_000).toBeLessThanOrEqual(4);
    expect(timeOf(handles.at(-1) as string)).toBe(now);
  });

  it("keep 73 random bits: equal clocks and different randomness give different handles", () => {
    const a = new HandleClock(random, () => 0).next();
    const b = new HandleClock(random, () => 0).next();
    expect(a.slice(0, 13)).toBe("00000000-0000");
    expect(a).not.toBe(b);
  });

  it("leave UUIDv4 refresh tokens of older rows readable", async () => {
    const key = await importHmacKey(random(32));
    const v4 = crypto.randomUUID();
    const minted = await mintRefreshToken(key, { handle: v4, generation: 3, secret: random(32) });
    expect((await openRefreshToken(key, minted.token))?.handle).toBe(v4);
  });
});

describe.each(availableKinds)("UUIDv7 handles on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());

  it("are what createNewSession mints, and sort by sign-in time under the database's collation", async () => {
    let now = Date.now();
    const sessions = createSessions({ store: drizzleStore(db.db), secret: SECRET, now: () => now });
    const handles: string[] = [];
    for (let i = 0; i < 6; i++) {
      handles.push((await sessions.createNewSession({ userId: "sorted" }, new Headers())).getHandle());
      now += i % 2 === 0 ? 0 : 1000;
    }
    for (const h of handles) expect(h).toMatch(UUID);
    expect(timeOf(handles[0] as string)).toBe(now - 3000);
    // The primary key's order: text under the database's default collation.
    const rows = rowsOf<{ handle: string }>(
      await db.db.execute(sql`SELECT handle FROM sessionkit_sessions WHERE user_id = 'sorted' ORDER BY handle`),
    );
    expect(rows.map((r) => r.handle)).toEqual(handles);
    await sessions.close();
  });

  it("keep rows with the UUIDv4 handles of older versions working", async () => {
    const sessions = createSessions({ store: drizzleStore(db.db), secret: SECRET });
    const v4 = crypto.randomUUID();
    const now = new Date();
    await drizzleStore(db.db).createSession({
      handle: v4,
      userId: "older",
      jwtPayload: {},
      sessionData: { kept: true },
      refreshHash: "x".repeat(43),
      createdAt: now,
      expiresAt: new Date(now.getTime() + 86_400_000),
    });
    expect((await sessions.getSessionInformation(v4))?.sessionData).toEqual({ kept: true });
    expect(await sessions.getAllSessionHandlesForUser("older")).toEqual([v4]);
    expect(await sessions.revokeSession(v4)).toBe(true);
    await sessions.close();
  });
});
