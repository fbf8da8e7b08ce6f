// Header mode on the core API, a header session's life: updateJWTPayload, sign-out and each
// revocation mode, a raw access token without a request (WebSocket connectionParams), and query
// counts equal to the cookie mode's. Shared setup: sessions-app.ts.

import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { sessionFromAccessToken } from "../../src/core/internal.js";
import { type RevocationMode, isSessionError } from "../../src/index.js";
import { sessionsApp } from "./sessions-app.js";

const { setup, uid, database } = sessionsApp("header-user");

describe("updateJWTPayload, sign-out and revocation in header mode", () => {
  it("updateJWTPayload sends the new access token in st-access-token (no refresh token, no cookie)", async () => {
    const { header } = setup();
    const c = header();
    await c.call("/login", { body: { userId: uid(), payload: { plan: "free" } } });
    const before = c.accessToken;
    const res = await c.call("/payload", { body: { plan: "pro" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("st-access-token")).toBeTruthy();
    expect(res.headers.get("st-access-token")).not.toBe(before);
    expect(res.headers.get("st-refresh-token")).toBeNull();
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(c.front()?.up.plan).toBe("pro");
    expect(await (await c.call("/me")).json()).toMatchObject({ payload: { plan: "pro" } });
  });

  it("POST /auth/signout revokes and clears with empty token headers and front-token: remove", async () => {
    const { header, sessions } = setup();
    const c = header();
    await c.call("/login", { body: { userId: uid() } });
    const handle = decodeJwt(c.accessToken as string).sessionHandle as string;
    const res = await c.call("/auth/signout", { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "OK" });
    expect(res.headers.get("st-access-token")).toBe("");
    expect(res.headers.get("st-refresh-token")).toBe("");
    expect(res.headers.get("front-token")).toBe("remove");
    // clearSession(…, "header"): the session's own method only.
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(c.accessToken).toBeUndefined();
    expect(await sessions.getSessionInformation(handle)).toBeUndefined();
  });

  for (const revocation of ["none", "check-database", "notify"] as RevocationMode[]) {
    it(`revocation ${revocation}: a revoked header session ends as the mode promises`, async () => {
      const { header, sessions } = setup({ revocation });
      const c = header();
      await c.call("/login", { body: { userId: uid() } });
      const handle = decodeJwt(c.accessToken as string).sessionHandle as string;
      await sessions.revokeSession(handle);
      const saved = { ...c };
      const me = await c.call("/me");
      if (revocation === "none") {
        expect(me.status).toBe(200);
      } else {
        expect(me.status).toBe(401);
        expect((await me.json()).code).toBe("UNAUTHORISED");
        expect(me.headers.get("st-access-token")).toBe("");
        expect(me.headers.get("front-token")).toBe("remove");
      }
      Object.assign(c, { accessToken: saved.accessToken, refreshToken: saved.refreshToken });
      const refresh = await c.refresh();
      expect(refresh.status).toBe(401);
      expect(refresh.headers.get("st-refresh-token")).toBe("");
    });
  }
});

describe("a raw access token without a request (WebSocket connectionParams)", () => {
  it("gives the session, or the error a request with that Authorization would get", async () => {
    const { header, sessions, clock } = setup({ revocation: "check-database" });
    const c = header();
    const userId = uid();
    await c.call("/login", { body: { userId } });
    const session = await sessionFromAccessToken(sessions, c.accessToken);
    expect(session.getUserId()).toBe(userId);
    await expect(session.updateJWTPayload({ a: 1 })).rejects.toThrow(/already been sent/);
    const codeOf = (token: unknown) =>
      sessionFromAccessToken(sessions, token).then(
        () => "ok",
        (e) => (isSessionError(e) ? e.code : `non-session error: ${e}`),
      );
    expect(await codeOf(undefined)).toBe("UNAUTHORISED");
    expect(await codeOf(42)).toBe("UNAUTHORISED");
    expect(await codeOf(c.refreshToken)).toBe("UNAUTHORISED");
    expect(await codeOf("x".repeat(10_000))).toBe("UNAUTHORISED");
    const [h, p] = (c.accessToken as string).split(".");
    expect(await codeOf(`${h}.${p}.AAAA`)).toBe("TRY_REFRESH_TOKEN");
    clock.advance(61_000);
    expect(await codeOf(c.accessToken)).toBe("TRY_REFRESH_TOKEN");
    clock.advance(-61_000);
    await sessions.revokeSession(session.getHandle());
    expect(await codeOf(c.accessToken)).toBe("UNAUTHORISED");
  });
});

describe("query counts are the cookie mode's", () => {
  it("sign-in 1, verify 0, refresh as in cookie mode, sign-out 1", async () => {
    const { header, cookie } = setup();
    const h = header();
    const c = cookie();
    await h.call("/login", { body: { userId: uid() } }); // loads keys
    await c.call("/login", { body: { userId: uid() } });
    const count = async (fn: () => Promise<unknown>) => {
      database().queries.reset();
      await fn();
      return database().queries.count;
    };
    expect(await count(() => h.call("/login", { body: { userId: uid() } }))).toBe(1);
    expect(await count(() => h.call("/me"))).toBe(0);
    const headerRefresh = await count(() => h.refresh());
    const cookieRefresh = await count(() => c.refresh());
    expect(headerRefresh).toBe(cookieRefresh);
    expect(headerRefresh).toBe(1);
    expect(await count(() => h.call("/auth/signout", { method: "POST" }))).toBe(1);
  });
});
