// End-to-end session flows on the core API, through fetch Requests and a cookie jar.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreateSessionsOptions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

let users = 0;
const uid = () => `flow-user-${++users}-${Math.random().toString(36).slice(2, 6)}`;

function setup(options: Partial<CreateSessionsOptions> = {}) {
  const clock = testClock();
  const sessions = createSessions({ store: drizzleStore(db.db), accessTokenTtl: 60, now: clock.now, ...options });
  const app = createTestApp(sessions);
  const client = () => new TestClient(app, clock.now);
  return { clock, sessions, app, client };
}

describe("sign-in and verification", () => {
  it("creates a session with cookies and a front-token the SDK can read", async () => {
    const { client, clock } = setup();
    const c = client();
    const userId = uid();
    const res = await c.call("/login", { body: { userId, payload: { role: "admin" } } });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    const access = cookies.find((l) => l.startsWith("sAccessToken="));
    const refresh = cookies.find((l) => l.startsWith("sRefreshToken="));
    expect(access).toMatch(/; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    expect(refresh).toMatch(/; Path=\/auth\/session\/refresh; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    const front = c.front();
    expect(front?.uid).toBe(userId);
    expect(front?.ate).toBe((Math.floor(clock.now() / 1000) + 60) * 1000);
    expect(front?.up).toMatchObject({ role: "admin", sub: userId, iat: Math.floor(clock.now() / 1000) });
    expect(res.headers.get("front-token")).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(res.headers.get("access-control-expose-headers")).toContain("front-token");

    const me = await c.call("/me");
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ userId, payload: { role: "admin" } });
  });

  it("without a token: 401 UNAUTHORISED when required, undefined when optional", async () => {
    const { client } = setup();
    const c = client();
    const me = await c.call("/me");
    expect(me.status).toBe(401);
    expect((await me.json()).code).toBe("UNAUTHORISED");
    expect(me.headers.getSetCookie()).toHaveLength(0);
    const opt = await c.call("/optional");
    expect(await opt.json()).toEqual({ userId: null });
    c.jar.set("sAccessToken", "");
    expect((await c.call("/optional")).status).toBe(200);
  });

  it("an expired access token asks for a refresh, which cures it", async () => {
    const { client, clock } = setup();
    const c = client();
    await c.call("/login", { body: { userId: uid() } });
    clock.advance(61_000);
    const expired = await c.call("/me");
    expect(expired.status).toBe(401);
    expect((await expired.json()).code).toBe("TRY_REFRESH_TOKEN");
    expect(expired.headers.getSetCookie()).toHaveLength(0);
    const oldRefresh = c.jar.get("sRefreshToken");
    const refreshed = await c.refresh();
    expect(refreshed.status).toBe(200);
    expect(await refreshed.json()).toEqual({});
    expect(refreshed.headers.get("front-token")).toBeTruthy();
    expect(c.jar.get("sRefreshToken")).not.toBe(oldRefresh);
    expect((await c.call("/me")).status).toBe(200);
  });

  it("honours sessionExpiredStatusCode", async () => {
    const { client, clock } = setup({ sessionExpiredStatusCode: 440 });
    const c = client();
    await c.call("/login", { body: { userId: uid() } });
    clock.advance(61_000);
    expect((await c.call("/me")).status).toBe(440);
    expect((await c.refresh()).status).toBe(200);
    expect((await c.call("/me")).status).toBe(200);
  });

  it("the session expires after refreshTokenTtl without use, and refresh extends it", async () => {
    const { client, clock } = setup({ refreshTokenTtl: 3600 });
    const c = client();
    await c.call("/login", { body: { userId: uid() } });
    clock.advance(3000_000);
    expect((await c.refresh()).status).toBe(200);
    clock.advance(3000_000);
    expect((await c.refresh()).status).toBe(200);
    clock.advance(3601_000);
    const late = await c.refresh();
    expect(late.status).toBe(401);
    expect(await late.json()).toEqual({ message: "unauthorised" });
    expect(late.headers.get("front-token")).toBe("remove");
    expect(c.jar.get("sRefreshToken")).toBeUndefined();
  });
});

describe("refresh", () => {
  it("answers 401 unauthorised (not 404) when there is no session at all", async () => {
    const { client } = setup();
    const res = await client().refresh();
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: "unauthorised" });
    expect(res.headers.get("front-token")).toBe("remove");
  });

  it("a second use of a rotated token inside the grace window gets the same current token", async () => {
    const { client, clock } = setup();
    const tab1 = client();
    await tab1.call("/login", { body: { userId: uid() } });
    const copy = tab1.jar.clone();
    expect((await tab1.refresh()).status).toBe(200);
    const rotated = tab1.jar.get("sRefreshToken");
    clock.advance(5_000);
    // Same browser, second tab: it still holds the pre-rotation cookie.
    const twin = client();
    for (const name of ["sAccessToken", "sRefreshToken"]) {
      const v = copy.get(name);
      if (v) twin.jar.set(name, v, name === "sRefreshToken" ? "/auth/session/refresh" : "/");
    }
    const res = await twin.refresh();
    expect(res.status).toBe(200);
    expect(twin.jar.get("sRefreshToken")).toBe(rotated);
    expect((await twin.call("/me")).status).toBe(200);
    expect((await tab1.refresh()).status).toBe(200);
  });

  it("reuse of a rotated token after the grace window is theft: session revoked, cookies cleared", async () => {
    const { client, clock, sessions } = setup({ refreshGraceSeconds: 10 });
    const victim = client();
    const login = await victim.call("/login", { body: { userId: uid() } });
    const { handle } = await login.json();
    const stolen = victim.jar.get("sRefreshToken") as string;
    expect((await victim.refresh()).status).toBe(200);
    clock.advance(11_000);
    const thief = client();
    thief.jar.set("sRefreshToken", stolen, "/auth/session/refresh");
    const res = await thief.refresh();
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: "token theft detected" });
    expect(res.headers.get("front-token")).toBe("remove");
    expect(await sessions.getSessionInformation(handle)).toBeUndefined();
    const after = await victim.refresh();
    expect(after.status).toBe(401);
  });

  it("a refresh request without rid is refused in via-custom-header mode, with clearing", async () => {
    const { client } = setup({ antiCsrf: "via-custom-header" });
    const c = client();
    await c.call("/login", { body: { userId: uid() } });
    const res = await c.refresh({ rid: false });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: "unauthorised" });
    expect(res.headers.get("front-token")).toBe("remove");
  });

  it("via-token: refresh needs the anti-csrf token, and new tokens carry it again", async () => {
    const { client } = setup({ antiCsrf: "via-token" });
    const c = client();
    const login = await c.call("/login", { body: { userId: uid() } });
    const token = login.headers.get("anti-csrf");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.front()?.up.antiCsrfToken).toBe(token);
    const bad = c.jar.clone();
    expect((await c.refresh()).status).toBe(200);
    expect(c.antiCsrf).toBe(token);
    const other = client();
    for (const name of ["sRefreshToken"]) other.jar.set(name, bad.get(name) as string, "/auth/session/refresh");
    const refused = await other.refresh();
    expect(refused.status).toBe(401);
  });
});

describe("anti-CSRF on ordinary routes", () => {
  it("via-custom-header: a POST without rid is TRY_REFRESH_TOKEN, a GET is fine", async () => {
    const { client } = setup({ antiCsrf: "via-custom-header" });
    const c = client();
    await c.call("/login", { body: { userId: uid() } });
    expect((await c.call("/me", { rid: false })).status).toBe(200);
    const post = await c.call("/data", { body: { x: 1 }, rid: false });
    expect(post.status).toBe(401);
    expect((await post.json()).code).toBe("TRY_REFRESH_TOKEN");
    expect(post.headers.getSetCookie()).toHaveLength(0);
    expect((await c.call("/data", { body: { x: 1 } })).status).toBe(200);
  });

  it("via-token: a POST must echo the anti-csrf token", async () => {
    const { client } = setup({ antiCsrf: "via-token" });
    const c = client();
    await c.call("/login", { body: { userId: uid() } });
    expect((await c.call("/data", { body: { x: 1 }, antiCsrf: false })).status).toBe(401);
    expect((await c.call("/data", { body: { x: 1 }, antiCsrf: false, headers: { "anti-csrf": "x".repeat(43) } })).status).toBe(401);
    expect((await c.call("/data", { body: { x: 1 } })).status).toBe(200);
    expect((await c.call("/me", { antiCsrf: false })).status).toBe(200);
  });

  it("none: no check", async () => {
    const { client } = setup({ antiCsrf: "none" });
    const c = client();
    await c.call("/login", { body: { userId: uid() } });
    expect((await c.call("/data", { body: { x: 1 }, rid: false })).status).toBe(200);
  });
});

describe("session object", () => {
  it("reads and overwrites session data, and updates the payload at once", async () => {
    const { client } = setup();
    const c = client();
    await c.call("/login", { body: { userId: uid(), payload: { a: 1 }, data: { cart: [] } } });
    expect(await (await c.call("/data")).json()).toEqual({ data: { cart: [] } });
    await c.call("/data", { body: { cart: ["apple"] } });
    expect(await (await c.call("/data")).json()).toEqual({ data: { cart: ["apple"] } });
    const upd = await c.call("/payload", { body: { name: "Ada" } });
    expect(upd.status).toBe(200);
    expect(upd.headers.getSetCookie().map((l) => l.split("=")[0])).toEqual(["sAccessToken"]);
    expect(c.front()?.up).toMatchObject({ a: 1, name: "Ada" });
    expect((await (await c.call("/me")).json()).payload).toEqual({ a: 1, name: "Ada" });
  });

  it("refuses reserved claims and non-objects in the payload", async () => {
    const { sessions } = setup();
    const headers = new Headers();
    await expect(sessions.createNewSession({ userId: uid(), jwtPayload: { sub: "x" } }, headers)).rejects.toThrow(/reserved claim "sub"/);
    await expect(sessions.createNewSession({ userId: uid(), jwtPayload: [] as never }, headers)).rejects.toThrow(/plain object/);
    await expect(sessions.createNewSession({ userId: "" }, headers)).rejects.toThrow(/userId/);
    const s = await sessions.createNewSession({ userId: uid() }, headers);
    await expect(s.updateJWTPayload({ exp: 1 })).rejects.toThrow(/reserved claim "exp"/);
    expect(headers.getSetCookie()).toHaveLength(2);
  });

  it("revokeSession deletes the row and clears cookies; without revocation checks the token lives on", async () => {
    const { client, sessions } = setup({ revocation: "none" });
    const c = client();
    const { handle } = await (await c.call("/login", { body: { userId: uid() } })).json();
    const access = c.jar.get("sAccessToken") as string;
    const res = await c.call("/revoke", { body: {} });
    expect(res.headers.get("front-token")).toBe("remove");
    expect(c.jar.get("sAccessToken")).toBeUndefined();
    expect(await sessions.getSessionInformation(handle)).toBeUndefined();
    // As in the originals: with revocation "none", the access token works until it expires.
    c.jar.set("sAccessToken", access);
    expect((await c.call("/me")).status).toBe(200);
    expect((await c.call("/data")).status).toBe(401);
  });

  it("check-database: a revoked session's token is refused at once, with clearing", async () => {
    const { client, sessions } = setup({ revocation: "check-database" });
    const c = client();
    const { handle } = await (await c.call("/login", { body: { userId: uid() } })).json();
    expect((await c.call("/me")).status).toBe(200);
    expect(await sessions.revokeSession(handle)).toBe(true);
    const res = await c.call("/me");
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe("UNAUTHORISED");
    expect(res.headers.get("front-token")).toBe("remove");
  });

  it("a session object cannot set cookies once its response has gone", async () => {
    const { sessions } = setup();
    const { markResponseSent } = await import("../../src/core/internal.js");
    const headers = new Headers();
    const s = await sessions.createNewSession({ userId: uid() }, headers);
    markResponseSent(headers);
    await expect(s.updateJWTPayload({ late: true })).rejects.toMatchObject({ code: "GENERAL_ERROR", status: 500 });
    await expect(s.revokeSession()).rejects.toThrow(/already been sent/);
    expect(await sessions.getSessionInformation(s.getHandle())).toBeDefined();
  });
});

describe("handle- and user-level calls", () => {
  it("lists, inspects, updates and revokes by handle and by user", async () => {
    const { sessions, clock } = setup();
    const userId = uid();
    const a = await sessions.createNewSession({ userId, jwtPayload: { n: 1 }, sessionData: { x: 1 } }, new Headers());
    clock.advance(1000);
    const b = await sessions.createNewSession({ userId }, new Headers());
    expect(await sessions.getAllSessionHandlesForUser(userId)).toEqual([a.getHandle(), b.getHandle()]);
    const info = await sessions.getSessionInformation(a.getHandle());
    expect(info).toMatchObject({ userId, jwtPayload: { n: 1 }, sessionData: { x: 1 } });
    expect(info?.createdAt).toBeInstanceOf(Date);
    expect(info?.expiresAt.getTime()).toBe(clock.now() - 1000 + 100 * 24 * 3600 * 1000);
    expect(await sessions.updateSessionData(a.getHandle(), { x: 2 })).toBe(true);
    expect(await sessions.updateJWTPayload(a.getHandle(), { n: 2 })).toBe(true);
    expect(await sessions.getSessionInformation(a.getHandle())).toMatchObject({ jwtPayload: { n: 2 }, sessionData: { x: 2 } });
    expect(await sessions.modifySessionData<{ x: number }>(a.getHandle(), (d) => ({ x: d.x + 1 }))).toEqual({ x: 3 });
    expect(await sessions.updateSessionData("no-such-handle", {})).toBe(false);
    expect((await sessions.revokeAllSessionsForUser(userId)).sort()).toEqual([a.getHandle(), b.getHandle()].sort());
    expect(await sessions.getAllSessionHandlesForUser(userId)).toEqual([]);
    expect(await sessions.revokeSession(a.getHandle())).toBe(false);
  });

  it("handle-level updateJWTPayload takes effect at the next refresh", async () => {
    const { client, sessions, clock } = setup();
    const c = client();
    const { handle } = await (await c.call("/login", { body: { userId: uid(), payload: { v: 1 } } })).json();
    await sessions.updateJWTPayload(handle, { v: 2 });
    expect((await (await c.call("/me")).json()).payload).toEqual({ v: 1 });
    clock.advance(1000);
    await c.refresh();
    expect((await (await c.call("/me")).json()).payload).toEqual({ v: 2 });
    expect(c.front()?.up.v).toBe(2);
  });

  it("cleanup removes expired sessions only", async () => {
    const { sessions, clock } = setup({ refreshTokenTtl: 100 });
    const old = await sessions.createNewSession({ userId: uid() }, new Headers());
    clock.advance(101_000);
    const fresh = await sessions.createNewSession({ userId: uid() }, new Headers());
    const removed = await sessions.cleanup();
    expect(removed.sessions).toBeGreaterThanOrEqual(1);
    expect(await sessions.getSessionInformation(old.getHandle())).toBeUndefined();
    expect(await sessions.getSessionInformation(fresh.getHandle())).toBeDefined();
  });
});

describe("sign-out route", () => {
  it("revokes and clears with 200 {status: OK}; expired → try refresh; none → unauthorised", async () => {
    const { client, clock, sessions } = setup();
    const c = client();
    const { handle } = await (await c.call("/login", { body: { userId: uid() } })).json();
    clock.advance(61_000);
    const expired = await c.call("/auth/signout", { method: "POST" });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ message: "try refresh token" });
    await c.refresh();
    const out = await c.call("/auth/signout", { method: "POST" });
    expect(out.status).toBe(200);
    expect(await out.json()).toEqual({ status: "OK" });
    expect(out.headers.get("front-token")).toBe("remove");
    expect(out.headers.get("anti-csrf")).toBeNull();
    const cleared = out.headers.getSetCookie();
    expect(cleared).toHaveLength(2);
    for (const line of cleared) expect(line).toMatch(/=; Path=[^;]+; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly/);
    expect(await sessions.getSessionInformation(handle)).toBeUndefined();
    const none = await c.call("/auth/signout", { method: "POST" });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ message: "unauthorised" });
  });

  it("answers wrong methods with 405 and other paths with undefined", async () => {
    const { sessions } = setup();
    expect((await sessions.handle(new Request("http://x/auth/session/refresh")))?.status).toBe(405);
    expect(await sessions.handle(new Request("http://x/other", { method: "POST" }))).toBeUndefined();
  });
});

describe("cookies and base path", () => {
  it("follows cookie options and a custom base path", async () => {
    const { sessions } = setup({ basePath: "/api/auth/", cookies: { secure: false, sameSite: "strict", domain: "example.com" } });
    const headers = new Headers();
    await sessions.createNewSession({ userId: uid() }, headers);
    const [access, refresh] = headers.getSetCookie();
    expect(access).toMatch(/; Path=\/; Expires=[^;]+; Domain=example.com; HttpOnly; SameSite=Strict$/);
    expect(refresh).toMatch(/; Path=\/api\/auth\/session\/refresh; /);
    expect(sessions.config.refreshPath).toBe("/api/auth/session/refresh");
  });

  it("sameSite none forces Secure", async () => {
    const { sessions } = setup({ cookies: { secure: false, sameSite: "none" } });
    const headers = new Headers();
    await sessions.createNewSession({ userId: uid() }, headers);
    for (const line of headers.getSetCookie()) expect(line).toMatch(/; Secure; SameSite=None$/);
  });

  it("keeps cookies the application set, and replaces its own on a second write", async () => {
    const { sessions } = setup();
    const headers = new Headers();
    headers.append("set-cookie", "theme=dark; Path=/");
    const s = await sessions.createNewSession({ userId: uid() }, headers);
    await s.updateJWTPayload({ x: 1 });
    const names = headers.getSetCookie().map((l) => l.split("=")[0]);
    expect(names.sort()).toEqual(["sAccessToken", "sRefreshToken", "theme"]);
  });
});
