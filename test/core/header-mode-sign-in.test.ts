// Header mode (SuperTokens `tokenTransferMethod: "header"`) on the core API, signing in: the bytes
// of supertokens-node 24's cookieAndHeaders.ts / sessionRequestFunctions.ts for a header sign-in,
// anti-CSRF for cookies only, and which token a request with both an Authorization header and a
// cookie is. Shared setup: sessions-app.ts.

import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { exposed, sessionsApp } from "./sessions-app.js";

const { setup, uid } = sessionsApp("header-user");

describe("sign-in with st-auth-mode: header", () => {
  it("hands out st-access-token, st-refresh-token and front-token, exposed, and no cookie", async () => {
    const { header, clock } = setup({ antiCsrf: "via-token" });
    const c = header();
    const userId = uid();
    const res = await c.call("/login", { body: { userId, payload: { role: "admin" } } });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(c.accessToken).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(c.refreshToken).toBeTruthy();
    expect(() => decodeJwt(c.refreshToken as string)).toThrow(); // opaque, not a JWT
    expect(exposed(res)).toEqual(expect.arrayContaining(["front-token", "st-access-token", "st-refresh-token"]));
    // supertokens-node: disableAntiCsrf for header sessions; no anti-csrf header, none in the token.
    expect(res.headers.get("anti-csrf")).toBeNull();
    const claims = decodeJwt(c.accessToken as string);
    expect(claims.antiCsrfToken).toBeUndefined();
    expect(c.front()).toMatchObject({ uid: userId, ate: (Math.floor(clock.now() / 1000) + 60) * 1000, up: { role: "admin", sub: userId } });

    const me = await c.call("/me");
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ userId, payload: { role: "admin" } });
    // A plain request hands out nothing new.
    expect(me.headers.get("st-access-token")).toBeNull();
    expect(me.headers.get("front-token")).toBeNull();
  });

  it("the value of st-auth-mode is case-insensitive; anything but header gets cookies", async () => {
    const { app } = setup();
    for (const [mode, cookies] of [
      ["HEADER", 0],
      ["cookie", 2],
      ["bogus", 2],
    ] as const) {
      const res = await app(
        new Request("http://localhost:3000/login", {
          method: "POST",
          headers: { rid: "anti-csrf", "st-auth-mode": mode, "content-type": "application/json" },
          body: JSON.stringify({ userId: uid() }),
        }),
      );
      expect(res.headers.getSetCookie(), mode).toHaveLength(cookies);
      expect(res.headers.get("st-access-token") === null, mode).toBe(cookies === 2);
    }
  });

  it("a header sign-in from a request that carries cookies clears them", async () => {
    const { header, app, cookie } = setup();
    const cookieClient = cookie();
    await cookieClient.call("/login", { body: { userId: uid() } });
    const c = header();
    const res = await app(
      new Request("http://localhost:3000/login", {
        method: "POST",
        headers: {
          rid: "anti-csrf",
          "st-auth-mode": "header",
          cookie: cookieClient.jar.header("/") ?? "",
          "content-type": "application/json",
        },
        body: JSON.stringify({ userId: uid() }),
      }),
    );
    c.observe(res);
    const cleared = res.headers.getSetCookie();
    expect(cleared.find((l) => l.startsWith("sAccessToken=;"))).toContain("Max-Age=0");
    expect(cleared.find((l) => l.startsWith("sRefreshToken=;"))).toContain("Max-Age=0");
    expect(c.accessToken).toBeTruthy();
    expect(res.headers.get("front-token")).not.toBe("remove");
  });
});

describe("anti-CSRF applies to cookies only", () => {
  for (const antiCsrf of ["via-custom-header", "via-token"] as const) {
    it(`${antiCsrf}: a header POST without rid or anti-csrf passes; a cookie POST in the same deployment does not`, async () => {
      const { header, cookie } = setup({ antiCsrf });
      const h = header();
      await h.call("/login", { body: { userId: uid() } });
      const posted = await h.call("/data", { body: { n: 1 }, rid: false });
      expect(posted.status).toBe(200);
      const refreshed = await h.refresh({ rid: false });
      expect(refreshed.status).toBe(200);

      const c = cookie();
      await c.call("/login", { body: { userId: uid() } });
      const refused = await c.call("/data", { body: { n: 1 }, rid: false, antiCsrf: false });
      expect(refused.status).toBe(401);
      expect((await refused.json()).code).toBe("TRY_REFRESH_TOKEN");
      const ok = await c.call("/data", { body: { n: 1 } });
      expect(ok.status).toBe(200);
    });
  }

  it("a cookie session's request with a foreign Bearer value still gets the cookie check", async () => {
    const { cookie } = setup();
    const c = cookie();
    await c.call("/login", { body: { userId: uid() } });
    const refused = await c.call("/data", { body: { n: 1 }, rid: false, headers: { authorization: "Bearer some-api-key" } });
    expect(refused.status).toBe(401);
    expect((await refused.json()).code).toBe("TRY_REFRESH_TOKEN");
    const ok = await c.call("/data", { body: { n: 1 }, headers: { authorization: "Basic dXNlcjpwdw==" } });
    expect(ok.status).toBe(200);
  });
});

describe("the Authorization header wins over the cookie (getAccessTokenFromRequest)", () => {
  it("a request with both is the header's session; a non-JWT Bearer value falls back to the cookie", async () => {
    const { header, cookie } = setup();
    const h = header();
    const headerUser = uid();
    await h.call("/login", { body: { userId: headerUser } });
    const c = cookie();
    const cookieUser = uid();
    await c.call("/login", { body: { userId: cookieUser } });
    const both = await c.call("/me", { headers: { authorization: `Bearer ${h.accessToken}` } });
    expect((await both.json()).userId).toBe(headerUser);
    const foreign = await c.call("/me", { headers: { authorization: "Bearer not-a-jwt" } });
    expect((await foreign.json()).userId).toBe(cookieUser);
  });
});
