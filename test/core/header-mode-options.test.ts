// Header mode on the core API, the options around it: tokenTransfer "cookie" and "header",
// exposeAccessTokenToFrontendInCookieBasedAuth, and issuer with the OpenID discovery document.
// Shared setup: sessions-app.ts.

import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { exposed, sessionsApp } from "./sessions-app.js";

const { setup, uid, database } = sessionsApp("header-user");

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
    expect(() => createSessions({ store: drizzleStore(database().db), tokenTransfer: "both" as never })).toThrow(TypeError);
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
    expect(() =>
      createSessions({ store: drizzleStore(database().db), exposeAccessTokenToFrontendInCookieBasedAuth: "yes" as never }),
    ).toThrow(TypeError);
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
    expect(() => createSessions({ store: drizzleStore(database().db), issuer: "api.example.com" })).toThrow(TypeError);
  });
});
