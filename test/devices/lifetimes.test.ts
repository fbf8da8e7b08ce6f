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

  it("maxLifetime: cookie, refresh token and access token end at the cap; a refresh after it is UNAUTHORISED with clearing", async () => {
    const { clock, client, sessions } = setup({ maxLifetime: 3600, refreshTokenTtl: 1800, accessTokenTtl: 600 });
    const start = clock.now();
    await client.call("/login", { body: { userId: uid() } });
    const expiryOf = (res: Response, name: string) =>
      Date.parse(/Expires=([^;]+)/.exec(res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`)) ?? "")?.[1] ?? "");
    clock.advance(1500_000);
    let res = await client.refresh();
    expect(res.status).toBe(200);
    expect(expiryOf(res, "sRefreshToken")).toBe(clock.now() + 1800_000);
    clock.set(start + 3200_000);
    res = await client.refresh();
    expect(res.status).toBe(200);
    // The idle expiry would be 1800 s later; the absolute cap wins, and the access token too ends there.
    expect(expiryOf(res, "sRefreshToken")).toBe(start + 3600_000);
    expect(client.front()?.ate).toBe(start + 3600_000);
    clock.set(start + 3600_000);
    res = await client.refresh();
    expect(res.status).toBe(401);
    expect(res.headers.get("front-token")).toBe("remove");
    expect(res.headers.getSetCookie().every((l) => l.includes("Expires=Thu, 01 Jan 1970"))).toBe(true);
    void sessions;
  });

  it("remember: false gives both cookies without Expires/Max-Age at sign-in, refresh and updateJWTPayload", async () => {
    const { client, clock } = setup();
    const app = createTestApp(setup().sessions);
    void app;
    const c = client;
    const login = await c.call("/login", { body: { userId: uid() } });
    expect(login.headers.getSetCookie().every((l) => l.includes("Expires="))).toBe(true);
    // A remember-me-off sign-in through the core call.
    const { sessions } = setup({ now: clock.now });
    const headers = new Headers();
    await sessions.createNewSession({ userId: uid(), remember: false }, headers);
    const session = (lines: string[]) => lines.filter((l) => l.startsWith("sAccessToken=") || l.startsWith("sRefreshToken="));
    expect(session(headers.getSetCookie())).toHaveLength(2);
    for (const line of session(headers.getSetCookie())) expect(line).not.toMatch(/Expires|Max-Age/i);
    const cookie = headers
      .getSetCookie()
      .map((l) => l.split(";")[0])
      .join("; ");
    const refreshed = new Headers();
    await sessions.refreshSession(
      new Request("http://x/auth/session/refresh", { method: "POST", headers: { cookie, rid: "s" } }),
      refreshed,
    );
    expect(session(refreshed.getSetCookie())).toHaveLength(2);
    for (const line of session(refreshed.getSetCookie())) expect(line).not.toMatch(/Expires|Max-Age/i);
    const access = refreshed
      .getSetCookie()
      .map((l) => l.split(";")[0])
      .join("; ");
    const updated = new Headers();
    const s = await sessions.getSession(new Request("http://x/p", { headers: { cookie: access, rid: "x" } }), updated);
    await s.updateJWTPayload({ theme: "dark" });
    expect(session(updated.getSetCookie())).toHaveLength(1);
    for (const line of session(updated.getSetCookie())) expect(line).not.toMatch(/Expires|Max-Age/i);
    // Clearing still expires them (sign-out must remove the cookies now).
    const cleared = new Headers();
    await s.revokeSession();
    void cleared;
    const signOut = new Headers();
    const again = await sessions
      .getSession(new Request("http://x/p", { headers: { cookie: access, rid: "x" } }), signOut)
      .catch(() => undefined);
    void again;
    expect(updated.getSetCookie().find((l) => l.startsWith("sAccessToken=;"))).toMatch(/Max-Age=0/);
  });
});
