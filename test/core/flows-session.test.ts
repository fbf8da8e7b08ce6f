// End-to-end session flows on the core API, through fetch Requests and a cookie jar: the session
// object (data, payload, revocation) and the handle- and user-level calls. Shared setup:
// sessions-app.ts.

import { describe, expect, it } from "vitest";
import { sessionsApp } from "./sessions-app.js";

const { setup, uid } = sessionsApp("flow-user");

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
