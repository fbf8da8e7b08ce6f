// Shared by the flows-*.test.ts and header-mode-*.test.ts files: one database for the test file
// (Postgres with DATABASE_URL, else PGlite), and setup(options), a sessions instance on it (closed
// after the file) with the fetch app of helpers/app.ts in front and clients for it, cookie or header.

import { afterAll, beforeAll } from "vitest";
import { type CreateSessionsOptions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { HeaderClient } from "../helpers/header-client.js";

/** The names in a response's Access-Control-Expose-Headers. */
export const exposed = (res: Response) => (res.headers.get("access-control-expose-headers") ?? "").split(",").map((s) => s.trim());

/**
 * `uid()`: a fresh user id starting with `userPrefix`; `setup(options)`: an instance, its app and
 * clients; `database()`: the file's database (set in beforeAll).
 */
export function sessionsApp(userPrefix: string) {
  let db: TestDb;
  let users = 0;
  const uid = () => `${userPrefix}-${++users}-${Math.random().toString(36).slice(2, 6)}`;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await db.close();
  });
  const database = () => db;

  function setup(options: Partial<CreateSessionsOptions> = {}) {
    const clock = testClock();
    const sessions = createSessions({ store: drizzleStore(database().db), accessTokenTtl: 60, now: clock.now, ...options });
    closers.push(() => sessions.close());
    const app = createTestApp(sessions);
    const client = () => new TestClient(app, clock.now);
    return { clock, sessions, app, client, cookie: client, header: () => new HeaderClient(app) };
  }
  return { uid, setup, database };
}
