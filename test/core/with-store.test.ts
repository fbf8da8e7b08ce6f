// sessions.withStore(store): one createSessions whose loaded keys and verified-token cache
// outlive requests, while each request's store calls go to a store (a connection) of its own,
// as Cloudflare Workers require. Statements counted on each client separately.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { engineOf } from "../../src/core/sessions.js";
import { drizzleStore } from "../../src/storage/index.js";
import { testClock } from "../helpers/clock.js";
import { DATABASE_URL, type TestDb, counter, createTestDb, postgresClient } from "../helpers/db.js";

describe.skipIf(!DATABASE_URL)("withStore on Postgres (postgres.js, a client per request)", () => {
  let db: TestDb;
  const opened: { sql: { end(options: { timeout: number }): Promise<void> } }[] = [];
  beforeAll(async () => {
    db = await createTestDb("postgres");
  });
  afterAll(async () => {
    await Promise.all(opened.map(({ sql }) => sql.end({ timeout: 1 })));
    await db.close();
  });

  /** A client of its own on the test schema, as a Worker opens one per request (no type fetch at connect). */
  function requestStore() {
    const client = postgresClient(db.url as string, db.schema as string, counter(), { max: 1, fetch_types: false });
    opened.push(client);
    return { store: drizzleStore(client.db), queries: client.queries };
  }

  function requestFor(headers: Headers) {
    const cookies = headers.getSetCookie().map((l) => l.split(";")[0]);
    return new Request("http://localhost/x", { headers: { cookie: cookies.join("; "), rid: "session" } });
  }

  it("sends each view's store calls to its own store, loads the keys once, shares the verified-token cache", async () => {
    const clock = testClock();
    const sessions = createSessions({ store: drizzleStore(db.db), now: clock.now, revocation: "check-database" });
    db.queries.reset();

    const first = requestStore();
    const headers = new Headers();
    await sessions.withStore(first.store).createNewSession({ userId: "w" }, headers);
    // The first request loads the keys (and makes them): all of it on its own store.
    expect(first.queries.count).toBeGreaterThan(1);
    expect(db.queries.count).toBe(0);

    const second = requestStore();
    const view = sessions.withStore(second.store);
    const session = await view.getSession(requestFor(headers), new Headers());
    expect(session.getUserId()).toBe("w");
    // check-database: one statement, no key load.
    expect(second.queries.count).toBe(1);
    const token =
      requestFor(headers)
        .headers.get("cookie")
        ?.match(/sAccessToken=([^;]+)/)?.[1] ?? "";
    expect(engineOf(sessions).tokens.isCached(token)).toBe(true);

    const third = requestStore();
    const other = sessions.withStore(third.store);
    second.queries.reset();
    expect(await other.modifySessionData<{ n?: number }>(session.getHandle(), (d) => ({ n: (d?.n ?? 0) + 1 }))).toEqual({ n: 1 });
    expect((await other.jwks()).keys.length).toBeGreaterThan(0);
    expect(third.queries.count).toBeGreaterThan(0);
    expect(second.queries.count).toBe(0);
    expect(await other.revokeSession(session.getHandle())).toBe(true);
    await expect(sessions.withStore(requestStore().store).getSession(requestFor(headers), new Headers())).rejects.toMatchObject({
      code: "UNAUTHORISED",
    });
    expect(db.queries.count).toBe(0);

    await other.close(); // a view closes nothing
    const fourth = requestStore();
    await sessions.withStore(fourth.store).createNewSession({ userId: "w2" }, new Headers());
    expect(fourth.queries.count).toBe(1);
    await sessions.close();
  });

  it("with revocation none, a view verifies without a statement (its client never connects)", async () => {
    const clock = testClock();
    const sessions = createSessions({ store: drizzleStore(db.db), now: clock.now, revocation: "none" });
    const headers = new Headers();
    await sessions.withStore(requestStore().store).createNewSession({ userId: "t" }, headers);
    const fresh = requestStore();
    expect((await sessions.withStore(fresh.store).getSession(requestFor(headers), new Headers())).getUserId()).toBe("t");
    expect(fresh.queries.count).toBe(0);
    await sessions.close();
  });

  it("refuses what is not a store", () => {
    const sessions = createSessions({ store: drizzleStore(db.db), revocation: "none" });
    expect(() => sessions.withStore(undefined as never)).toThrow(/withStore needs a store/);
    expect(() => sessions.withStore({} as never)).toThrow(/withStore needs a store/);
  });
});
