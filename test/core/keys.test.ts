// Signing keys: algorithms, JWKS, rotation on a schedule, agreement between instances.

import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SigningAlgorithm, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const DAY = 24 * 3600;

describe("signing keys", () => {
  it.each(["RS256", "ES256", "EdDSA"] as SigningAlgorithm[])("%s tokens verify against the public JWKS only", async (algorithm) => {
    const clock = testClock();
    const sessions = createSessions({ store: drizzleStore(db.db), algorithm, now: clock.now });
    const c = new TestClient(createTestApp(sessions), clock.now);
    await c.call("/login", { body: { userId: `alg-${algorithm}` } });
    const token = c.jar.get("sAccessToken") as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: algorithm, typ: "JWT" });
    const res = await c.call("/auth/jwt/jwks.json");
    expect(res.status).toBe(200);
    const jwks = await res.json();
    for (const key of jwks.keys) {
      for (const secret of ["d", "p", "q", "dp", "dq", "qi", "k"]) expect(key).not.toHaveProperty(secret);
      expect(key.use).toBe("sig");
    }
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { currentDate: new Date(clock.now()) });
    expect(payload.sub).toBe(`alg-${algorithm}`);
    expect((await c.call("/me")).status).toBe(200);
  });

  it("rotates per interval; tokens signed with the old key keep verifying until they expire", async () => {
    const clock = testClock(Date.parse("2026-06-01T00:00:00Z"));
    const options = {
      store: drizzleStore(db.db),
      algorithm: "ES256" as const,
      keyRotationInterval: DAY,
      accessTokenTtl: 3600,
      now: clock.now,
    };
    const a = createSessions(options);
    const b = createSessions(options);
    const slotEnd = (Math.floor(clock.now() / 1000 / DAY) + 1) * DAY * 1000;
    clock.set(slotEnd - 600_000);
    const oldClient = new TestClient(createTestApp(a), clock.now);
    await oldClient.call("/login", { body: { userId: "rot-1" } });
    const oldKid = decodeProtectedHeader(oldClient.jar.get("sAccessToken") as string).kid;
    // Just past the end of the slot: the old token is still inside its hour.
    clock.set(slotEnd + 1000);
    const appA = createTestApp(a);
    const appB = createTestApp(b);
    const newClient = new TestClient(appA, clock.now);
    await newClient.call("/login", { body: { userId: "rot-2" } });
    const newKid = decodeProtectedHeader(newClient.jar.get("sAccessToken") as string).kid;
    expect(newKid).not.toBe(oldKid);
    // Instance B never saw the new key: it loads it on first sight, with no failed verification.
    const viaB = new TestClient(appB, clock.now);
    for (const name of ["sAccessToken"]) viaB.jar.set(name, newClient.jar.get(name) as string);
    expect((await viaB.call("/me")).status).toBe(200);
    // The old token still verifies on both.
    expect((await oldClient.call("/me")).status).toBe(200);
    const jwks = await a.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    // After the old key's last token has expired, the old key is gone from the JWKS.
    clock.set(slotEnd + 3600_000 + 61_000 + 1000);
    expect((await oldClient.call("/me")).status).toBe(401);
    await a.createNewSession({ userId: "rot-3" }, new Headers());
    const c = createSessions(options);
    expect((await c.jwks()).keys.map((k) => k.kid)).not.toContain(oldKid);
  });

  it("instances starting at once on an empty key table agree on one key", async () => {
    const fresh = await createTestDb();
    try {
      const clock = testClock();
      const instances = Array.from({ length: 5 }, () =>
        createSessions({ store: drizzleStore(fresh.db), algorithm: "ES256", now: clock.now }),
      );
      const tokens = await Promise.all(
        instances.map(async (s, i) => {
          const h = new Headers();
          await s.createNewSession({ userId: `race-${i}` }, h);
          return h.getSetCookie()[0] as string;
        }),
      );
      const kids = new Set(tokens.map((line) => decodeProtectedHeader(line.slice("sAccessToken=".length, line.indexOf(";"))).kid));
      expect(kids.size).toBe(1);
      const jwks = await instances[0]?.jwks();
      expect(jwks?.keys).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  it("a configured secret replaces the stored refresh key", async () => {
    const clock = testClock();
    const secret = "a-long-server-secret-of-at-least-32-chars";
    const a = createSessions({ store: drizzleStore(db.db), secret, now: clock.now });
    const b = createSessions({ store: drizzleStore(db.db), secret, now: clock.now });
    const other = createSessions({ store: drizzleStore(db.db), secret: `${secret}-different`, now: clock.now });
    const c = new TestClient(createTestApp(a), clock.now);
    await c.call("/login", { body: { userId: "secret-user" } });
    const refresh = c.jar.get("sRefreshToken") as string;
    const viaOther = new TestClient(createTestApp(other), clock.now);
    viaOther.jar.set("sRefreshToken", refresh, "/auth/session/refresh");
    expect((await viaOther.refresh()).status).toBe(401);
    const viaB = new TestClient(createTestApp(b), clock.now);
    viaB.jar.set("sRefreshToken", refresh, "/auth/session/refresh");
    expect((await viaB.refresh()).status).toBe(200);
    expect(() => createSessions({ store: drizzleStore(db.db), secret: "short" })).toThrow(/32 characters/);
  });
});
