// Driver detection: drizzleStore refuses a Drizzle database on a driver it is not tested on, at
// construction with a sentence naming the supported ones, instead of failing at the first
// request; node-postgres works both as a Pool and as a single Client, notify included.

import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzleProxy } from "drizzle-orm/pg-proxy";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { type AnyPgDatabase, drizzleStore } from "../../src/storage/index.js";
import { DATABASE_URL, type TestDb, createTestDb } from "../helpers/db.js";

describe("driver detection", () => {
  let proxyCalls = 0;
  // A Drizzle database on a driver sessionkit does not know (any statement would reach the callback).
  const unknown = drizzleProxy(async () => {
    proxyCalls++;
    return { rows: [] };
  }) as unknown as AnyPgDatabase;

  it("an unknown driver is refused at drizzleStore(), naming the supported ones, before any statement", () => {
    expect(() => drizzleStore(unknown)).toThrow(TypeError);
    expect(() => drizzleStore(unknown)).toThrow(/postgres\.js.*node-postgres.*PGlite.*; got PgRemoteDatabase$/);
    expect(proxyCalls).toBe(0);
  });

  it("not a Drizzle database at all (a raw driver client) is refused too", () => {
    const pool = new pg.Pool({ connectionString: "postgres://nobody@127.0.0.1:1/none" });
    expect(() => drizzleStore(pool as unknown as AnyPgDatabase)).toThrow(/needs a Drizzle database.*; got (Bound)?Pool$/);
    void pool.end();
  });

  it("a read-replica wrapper gets the hint to pass its primary", () => {
    const wrapper = { $primary: unknown, select: () => {} } as unknown as AnyPgDatabase;
    expect(() => drizzleStore(wrapper)).toThrow(/db\.\$primary/);
  });

  it("the listen option is checked the same way", () => {
    // drizzleStore opens no connection: a pool that could never connect is enough here.
    const pool = new pg.Pool({ connectionString: "postgres://nobody@127.0.0.1:1/none" });
    const db = drizzleNodePg(pool) as unknown as AnyPgDatabase;
    expect(() => drizzleStore(db)).not.toThrow();
    expect(() => drizzleStore(db, { listen: unknown })).toThrow(/drizzleStore\(db, \{ listen \}\)/);
    void pool.end();
  });
});

describe.skipIf(!DATABASE_URL)("node-postgres with a single pg.Client (needs DATABASE_URL)", () => {
  let base: TestDb;
  let client: pg.Client;
  beforeAll(async () => {
    base = await createTestDb("node-postgres");
    client = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${base.schema}`, application_name: "sk-single" });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await base?.close();
  });

  it("serves sessions and hears revocations on its own listening connection", async () => {
    const sessions = createSessions({
      store: drizzleStore(drizzleNodePg(client) as unknown as AnyPgDatabase),
      revocation: "notify",
      notifyChannel: `sk_single_${Math.random().toString(36).slice(2, 8)}`,
    });
    try {
      const headers = new Headers();
      const session = await sessions.createNewSession({ userId: "single" }, headers);
      const cookie = headers
        .getSetCookie()
        .map((l) => l.split(";")[0])
        .join("; ");
      const request = () => new Request("http://localhost/x", { headers: { cookie, rid: "session" } });
      expect((await sessions.getSession(request(), new Headers())).getUserId()).toBe("single");
      const listeners = async () =>
        (
          await client.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'sk-single sessionkit-listener'",
          )
        ).rows[0]?.n;
      // The listener may still be connecting, and its short-lived check connection (which proves
      // notices arrive) can be there for a moment too: poll until exactly the listener is left.
      for (let i = 0; i < 200 && (await listeners()) !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await listeners()).toBe(1);
      await session.revokeSession();
      await expect(sessions.getSession(request(), new Headers())).rejects.toMatchObject({ code: "UNAUTHORISED" });
    } finally {
      await sessions.close();
    }
  });
});
