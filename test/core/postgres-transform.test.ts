// A postgres.js client made with a `transform` that rewrites what it reads: `postgres.camel`
// renames columns (the store reads some rows by column name: every refresh would answer 401) and
// the keys of JSON values (session data `{ snake_key }` would read back as `{ snakeKey }`). Such a
// client is refused when the store is made, with what to do instead; a `transform` that changes
// nothing read (`{ undefined: null }`) is accepted and the session round trip keeps its JSON keys.
// Postgres only (a postgres.js option): it runs wherever DATABASE_URL is set, as in CI.

import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { DATABASE_URL, type TestDb, createTestDb, postgresClient } from "../helpers/db.js";

describe.skipIf(!DATABASE_URL)("drizzleStore on a postgres.js client with a transform", () => {
  let db: TestDb;
  const clients: ReturnType<typeof postgresClient>[] = [];
  const clientWith = (transform: postgres.Options<{}>["transform"]) => {
    const client = postgresClient(db.url as string, db.schema as string, undefined, { transform });
    clients.push(client);
    return client.db;
  };
  beforeAll(async () => {
    db = await createTestDb("postgres");
  });
  afterAll(async () => {
    for (const client of clients) await client.sql.end({ timeout: 1 });
    await db?.close();
  });

  it.each([
    ["postgres.camel", postgres.camel, /rewrites the column, value it reads/],
    ["a column rename only", { column: { from: postgres.toCamel, to: postgres.fromCamel } }, /rewrites the column it reads/],
    ["a value rewrite only", { value: { from: (v: unknown) => v } }, /rewrites the value it reads/],
  ])("%s: a TypeError when the store is made, saying what to do", (_name, transform, message) => {
    const made = () => drizzleStore(clientWith(transform as postgres.Options<{}>["transform"]));
    expect(made).toThrow(TypeError);
    expect(made).toThrow(message);
    expect(made).toThrow(/client made without `transform`/);
  });

  it("a transform that changes nothing read: sign-in, two refreshes, payload update, JSON keys intact", async () => {
    const clock = testClock();
    const sessions = createSessions({ store: drizzleStore(clientWith({ undefined: null })), accessTokenTtl: 60, now: clock.now });
    try {
      const browser = new TestClient(createTestApp(sessions), clock.now);
      const login = await browser.call("/login", { body: { userId: "transform-user", payload: { snake_key: 1 }, data: { snake_key: 2 } } });
      expect(login.status).toBe(200);
      const { handle } = (await login.json()) as { handle: string };
      for (let i = 0; i < 2; i++) {
        clock.advance(1_000);
        expect((await browser.refresh()).status).toBe(200);
      }
      const me = await browser.call("/me");
      expect(((await me.json()) as { payload: unknown }).payload).toEqual({ snake_key: 1 });
      expect(await sessions.updateJWTPayload(handle, { snake_key: 3 })).toBe(true);
      expect(await sessions.getSessionInformation(handle)).toMatchObject({ jwtPayload: { snake_key: 3 }, sessionData: { snake_key: 2 } });
    } finally {
      await sessions.close();
    }
  });
});
