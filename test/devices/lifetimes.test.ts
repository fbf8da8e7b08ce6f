// Lifetimes: the sign-in time carried in the access token (getAuthTime), on both drivers.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreateSessionsOptions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

describe.each(availableKinds)("lifetimes on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());

  let users = 0;
  const uid = () => `life-${++users}-${Math.random().toString(36).slice(2, 6)}`;

  function setup(options: Partial<CreateSessionsOptions> = {}) {
    const clock = testClock();
    const sessions = createSessions({ store: drizzleStore(db.db), accessTokenTtl: 60, now: clock.now, ...options });
    const client = new TestClient(createTestApp(sessions), clock.now);
    const me = async () => {
      const res = await client.call("/me");
      expect(res.status).toBe(200);
      return sessions.getSession(new Request("http://localhost/me", { headers: { cookie: client.jar.header("/") ?? "" } }), new Headers());
    };
    return { clock, sessions, client, me };
  }

  it("getAuthTime is the sign-in time, kept by refreshes and updateJWTPayload, at 0 queries", async () => {
    const { clock, client, me } = setup();
    const signedInAt = clock.now() + 123; // not a whole second: epoch ms, not JWT seconds
    clock.set(signedInAt);
    await client.call("/login", { body: { userId: uid() } });
    db.queries.reset();
    const first = await me();
    expect(first.getAuthTime()).toBe(signedInAt);
    expect(db.queries.count).toBe(0);

    clock.advance(3_600_000);
    expect((await client.refresh()).status).toBe(200);
    expect((await me()).getAuthTime()).toBe(signedInAt);
    // The front-token exposes it too (the SDK's `up`), as epoch ms.
    expect(client.front()?.up.authTime).toBe(signedInAt);

    clock.advance(60_000);
    expect((await client.refresh()).status).toBe(200);
    expect((await client.call("/payload", { body: { theme: "dark" } })).status).toBe(200);
    const after = await me();
    expect(after.getAuthTime()).toBe(signedInAt);
    expect(after.getJWTPayload()).toEqual({ theme: "dark" });
  });

  it("authTime is reserved: the payload cannot set it", async () => {
    const { sessions } = setup();
    await expect(sessions.createNewSession({ userId: uid(), jwtPayload: { authTime: 1 } }, new Headers())).rejects.toThrow(
      /reserved claim "authTime"/,
    );
    const s = await sessions.createNewSession({ userId: uid() }, new Headers());
    await expect(s.updateJWTPayload({ authTime: 0 })).rejects.toThrow(/reserved claim "authTime"/);
    await expect(async () => sessions.updateJWTPayload(s.getHandle(), { authTime: 0 })).rejects.toThrow(/reserved claim "authTime"/);
  });
});
