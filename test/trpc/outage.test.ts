// A session store outage is a 500 (INTERNAL_SERVER_ERROR, sessionCode GENERAL_ERROR), never a
// 401: a 401 would send every client into a refresh and then a sign-out. The store is broken for
// real: its own postgres.js pool is ended (Postgres) or its own PGlite is closed.

import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyPgDatabase } from "../../src/storage/index.js";
import { type TestDb, createTestDb, postgresClient } from "../helpers/db.js";
import { type Served, adapterKinds, createClient, jarFetch, rejection, serveApp, uniqueName } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

/** A database connection of its own that the test can break. */
async function breakableDb(): Promise<{ db: AnyPgDatabase; breakIt(): Promise<void> }> {
  if (db.kind === "postgres" && db.url && db.schema) {
    const { sql, db: pool } = postgresClient(db.url, db.schema);
    return { db: pool, breakIt: () => sql.end({ timeout: 1 }) };
  }
  const pg = new PGlite();
  return { db: drizzle(pg) as unknown as AnyPgDatabase, breakIt: () => pg.close() };
}

describe.each(adapterKinds)("store outage on the %s adapter", (kind) => {
  let checking: Served;
  let trusting: Served;
  let breakIt: () => Promise<void>;
  const options = { cookies: { secure: false }, accessTokenTtl: 60 } as const;

  beforeAll(async () => {
    const broken = await breakableDb();
    breakIt = broken.breakIt;
    checking = await serveApp(kind, { db: broken.db, sessionsOptions: { ...options, revocation: "check-database" } });
    trusting = await serveApp(kind, { db: broken.db, sessionsOptions: options });
  });
  afterAll(async () => {
    await checking.close();
    await trusting.close();
  });

  it("answers 500 with sessionCode GENERAL_ERROR, never 401, and the link does not refresh", async () => {
    const a = createClient(checking.url);
    const b = createClient(trusting.url);
    const name = uniqueName(kind);
    await a.trpc.signUp.mutate({ name, password: "correct horse battery" });
    await b.trpc.signIn.mutate({ name, password: "correct horse battery" });
    const anonymous = createClient(checking.url);
    await breakIt();
    checking.log.reset();
    trusting.log.reset();

    // check-database: the session lookup itself fails, for every call of the request.
    const me = await rejection(a.trpc.me.query());
    expect(me.data).toMatchObject({ code: "INTERNAL_SERVER_ERROR", httpStatus: 500, sessionCode: "GENERAL_ERROR" });
    const raw = await jarFetch(a.jar)(`${checking.url}/trpc/me`);
    expect(raw.status).toBe(500);
    expect(raw.headers.getSetCookie()).toEqual([]);
    expect(checking.log.count("/auth/session/refresh")).toBe(0);

    // A request without a session needs no store: public procedures still answer.
    expect(await anonymous.trpc.hello.query()).toEqual({ signedIn: false, greeting: "Hello, stranger!" });

    // Trusting tokens: identity still works (no store call), session data is a 500.
    expect((await b.trpc.me.query()).name).toBe(name);
    const notes = await rejection(b.trpc.notes.list.query());
    expect(notes.data).toMatchObject({ httpStatus: 500, sessionCode: "GENERAL_ERROR" });
    expect(trusting.log.count("/auth/session/refresh")).toBe(0);

    // The refresh route too: 500, and the browser keeps its cookies.
    const refresh = await jarFetch(b.jar)(`${trusting.url}/auth/session/refresh`, { method: "POST", headers: { rid: "session" } });
    expect(refresh.status).toBe(500);
    expect(refresh.headers.getSetCookie()).toEqual([]);
    expect(b.jar.get("sRefreshToken")).toBeTruthy();
  });
});
