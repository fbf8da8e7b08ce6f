// Header mode (SuperTokens `tokenTransferMethod: "header"`) on the core API: the bytes of
// supertokens-node 24's cookieAndHeaders.ts / sessionRequestFunctions.ts, every feature in both
// modes, and cookie and header clients on one server at once.

import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionFromAccessToken } from "../../src/core/internal.js";
import { type CreateSessionsOptions, type RevocationMode, createSessions, isSessionError } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { HeaderClient } from "../helpers/header-client.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

let users = 0;
const uid = () => `header-user-${++users}-${Math.random().toString(36).slice(2, 6)}`;
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

function setup(options: Partial<CreateSessionsOptions> = {}) {
  const clock = testClock();
  const sessions = createSessions({ store: drizzleStore(db.db), accessTokenTtl: 60, now: clock.now, ...options });
  closers.push(() => sessions.close());
  const app = createTestApp(sessions);
  return { clock, sessions, app, header: () => new HeaderClient(app), cookie: () => new TestClient(app, clock.now) };
}

const exposed = (res: Response) => (res.headers.get("access-control-expose-headers") ?? "").split(",").map((s) => s.trim());

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

describe("tokenTransfer", () => {
  it('"cookie": st-auth-mode and Authorization are ignored', async () => {
    const { header } = setup({ tokenTransfer: "cookie" });
    const c = header();
    const res = await c.call("/login", { body: { userId: uid() } });
    expect(res.headers.getSetCookie()).toHaveLength(2);
    expect(res.headers.get("st-access-token")).toBeNull();
    const token = res.headers.getSetCookie()[0]?.split(";")[0]?.split("=")[1];
    const me = await c.call("/me", { authorization: `Bearer ${token}` });
    expect(me.status).toBe(401);
    expect((await me.json()).code).toBe("UNAUTHORISED");
  });

  it('"header": every client gets headers, cookies are ignored, errors clear headers only', async () => {
    const { app, sessions } = setup({ tokenTransfer: "header" });
    const res = await app(
      new Request("http://localhost:3000/login", {
        method: "POST",
        headers: { rid: "anti-csrf", "content-type": "application/json" },
        body: JSON.stringify({ userId: uid() }),
      }),
    );
    expect(res.headers.getSetCookie()).toEqual([]);
    const token = res.headers.get("st-access-token") as string;
    expect(token).toBeTruthy();
    const viaCookie = await app(new Request("http://localhost:3000/me", { headers: { cookie: `sAccessToken=${token}` } }));
    expect(viaCookie.status).toBe(401);
    await sessions.revokeSession(decodeJwt(token).sessionHandle as string);
    const refresh = await app(
      new Request("http://localhost:3000/auth/session/refresh", {
        method: "POST",
        headers: { authorization: `Bearer ${res.headers.get("st-refresh-token")}` },
      }),
    );
    expect(refresh.status).toBe(401);
    expect(refresh.headers.getSetCookie()).toEqual([]);
    expect(refresh.headers.get("st-refresh-token")).toBe("");
  });

  it("refuses an unknown value", () => {
    expect(() => createSessions({ store: drizzleStore(db.db), tokenTransfer: "both" as never })).toThrow(TypeError);
  });
});

describe("exposeAccessTokenToFrontendInCookieBasedAuth", () => {
  it("off by default; on, a cookie session also gets st-access-token (never the refresh token)", async () => {
    const off = setup().cookie();
    const offRes = await off.call("/login", { body: { userId: uid() } });
    expect(offRes.headers.get("st-access-token")).toBeNull();

    const { cookie } = setup({ exposeAccessTokenToFrontendInCookieBasedAuth: true });
    const c = cookie();
    const res = await c.call("/login", { body: { userId: uid() } });
    const cookieToken = res.headers
      .getSetCookie()
      .find((l) => l.startsWith("sAccessToken="))
      ?.split(";")[0]
      ?.slice("sAccessToken=".length);
    expect(res.headers.get("st-access-token")).toBe(cookieToken);
    expect(res.headers.get("st-refresh-token")).toBeNull();
    expect(exposed(res)).toContain("st-access-token");
    const refreshed = await c.refresh();
    expect(refreshed.headers.get("st-access-token")).toBeTruthy();
    expect(refreshed.headers.get("st-refresh-token")).toBeNull();
    expect(() => createSessions({ store: drizzleStore(db.db), exposeAccessTokenToFrontendInCookieBasedAuth: "yes" as never })).toThrow(
      TypeError,
    );
  });
});

describe("issuer and the OpenID discovery document", () => {
  it("iss in every access token and GET /auth/.well-known/openid-configuration", async () => {
    const issuer = "https://api.example.com/auth";
    const { header, app } = setup({ issuer, algorithm: "ES256" });
    const c = header();
    await c.call("/login", { body: { userId: uid() } });
    expect(decodeJwt(c.accessToken as string).iss).toBe(issuer);
    expect(c.front()?.up.iss).toBe(issuer);
    const res = await app(new Request("http://localhost:3000/auth/.well-known/openid-configuration"));
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toEqual({
      issuer,
      jwks_uri: "https://api.example.com/auth/jwt/jwks.json",
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256"],
    });
    const post = await app(new Request("http://localhost:3000/auth/.well-known/openid-configuration", { method: "POST" }));
    expect(post.status).toBe(405);
    // iss is reserved: the payload cannot set it.
    expect((await c.call("/payload", { body: { iss: "https://evil.example" } })).status).toBe(500);
  });

  it("without an issuer: no iss claim and no discovery route", async () => {
    const { header, app } = setup();
    const c = header();
    await c.call("/login", { body: { userId: uid() } });
    expect(decodeJwt(c.accessToken as string).iss).toBeUndefined();
    const res = await app(new Request("http://localhost:3000/auth/.well-known/openid-configuration"));
    expect(res.status).toBe(404);
    expect(() => createSessions({ store: drizzleStore(db.db), issuer: "api.example.com" })).toThrow(TypeError);
  });
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
      db.queries.reset();
      await fn();
      return db.queries.count;
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
