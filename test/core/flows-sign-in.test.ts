// End-to-end session flows on the core API, through fetch Requests and a cookie jar: sign-in and
// verification, the sign-out route, cookie options and the base path. Shared setup: sessions-app.ts.

import { describe, expect, it } from "vitest";
import { sessionsApp } from "./sessions-app.js";

const { setup, uid } = sessionsApp("flow-user");

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
