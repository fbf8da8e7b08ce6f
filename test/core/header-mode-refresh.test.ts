// Header mode on the core API, refreshing: the refresh token as Authorization rotates both tokens
// in headers, the grace window and theft, bad tokens, and a refresh that carries a cookie too.
// Shared setup: sessions-app.ts.

import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { exposed, sessionsApp } from "./sessions-app.js";

const { setup, uid } = sessionsApp("header-user");

describe("refresh in header mode", () => {
  it("expiry: TRY_REFRESH_TOKEN, then the refresh token as Authorization rotates both tokens in headers", async () => {
    const { header, clock } = setup();
    const c = header();
    const userId = uid();
    await c.call("/login", { body: { userId } });
    const firstRefresh = c.refreshToken;
    clock.advance(61_000);
    const expired = await c.call("/me");
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ code: "TRY_REFRESH_TOKEN" });
    expect(expired.headers.get("st-access-token")).toBeNull(); // not cleared

    const refreshed = await c.refresh();
    expect(refreshed.status).toBe(200);
    expect(await refreshed.json()).toEqual({});
    expect(refreshed.headers.getSetCookie()).toEqual([]);
    expect(refreshed.headers.get("st-refresh-token")).toBeTruthy();
    expect(refreshed.headers.get("st-refresh-token")).not.toBe(firstRefresh);
    expect(refreshed.headers.get("front-token")).toBeTruthy();
    expect(exposed(refreshed)).toEqual(expect.arrayContaining(["front-token", "st-access-token", "st-refresh-token"]));
    expect((await c.call("/me")).status).toBe(200);
  });

  it("grace window: two refreshes with one token both succeed; after the window it is theft, cleared in every method", async () => {
    const { header, clock, sessions } = setup({ refreshGraceSeconds: 10 });
    const a = header();
    await a.call("/login", { body: { userId: uid() } });
    const b = header();
    Object.assign(b, { accessToken: a.accessToken, refreshToken: a.refreshToken });
    const old = a.refreshToken;
    const ra = await a.refresh();
    const rb = await b.refresh();
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(rb.headers.get("st-refresh-token")).toBe(ra.headers.get("st-refresh-token"));

    clock.advance(11_000);
    const thief = header();
    Object.assign(thief, { accessToken: "x", refreshToken: old });
    const theft = await thief.refresh();
    expect(theft.status).toBe(401);
    expect(await theft.json()).toEqual({ message: "token theft detected" });
    expect(theft.headers.get("st-access-token")).toBe("");
    expect(theft.headers.get("st-refresh-token")).toBe("");
    expect(theft.headers.get("front-token")).toBe("remove");
    expect(theft.headers.getSetCookie().map((l) => l.split("=")[0])).toEqual(["sAccessToken", "sRefreshToken"]);
    expect(await sessions.getSessionInformation(decodeJwt(a.accessToken as string).sessionHandle as string)).toBeUndefined();
  });

  it("no or a bad refresh token: 401 unauthorised and clearing", async () => {
    const { header } = setup();
    const c = header();
    const none = await c.call("/auth/session/refresh", { method: "POST", authorization: null });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ message: "unauthorised" });
    expect(none.headers.get("front-token")).toBe("remove");
    const bad = await c.call("/auth/session/refresh", { method: "POST", authorization: "Bearer nonsense" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("st-refresh-token")).toBe("");
  });

  it("a refresh that carries both a header and a cookie refresh token uses the header and clears the cookies", async () => {
    const { header, cookie } = setup();
    const cookieClient = cookie();
    await cookieClient.call("/login", { body: { userId: uid() } });
    const h = header();
    const userId = uid();
    await h.call("/login", { body: { userId } });
    const res = await h.call("/auth/session/refresh", {
      method: "POST",
      headers: { cookie: cookieClient.jar.header("/auth/session/refresh") ?? "" },
    });
    expect(res.status).toBe(200);
    expect(h.front()?.uid).toBe(userId);
    expect(res.headers.getSetCookie().every((l) => l.includes("Max-Age=0"))).toBe(true);
    expect(res.headers.getSetCookie()).toHaveLength(2);
  });
});
