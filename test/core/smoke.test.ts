import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

describe("smoke", () => {
  it("signs in, verifies, refreshes", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const sessions = createSessions({ store: drizzleStore(db.db), accessTokenTtl: 60, now: () => now });
    const client = new TestClient(createTestApp(sessions), () => now);
    const login = await client.call("/login", { body: { userId: "u1", payload: { role: "admin" } } });
    expect(login.status).toBe(200);
    console.log(login.headers.getSetCookie(), client.front());
    const me = await client.call("/me");
    expect(await me.json()).toMatchObject({ userId: "u1", payload: { role: "admin" } });
    now += 61_000;
    expect((await client.call("/me")).status).toBe(401);
    const r = await client.refresh();
    expect(r.status).toBe(200);
    expect((await client.call("/me")).status).toBe(200);
  });
});
