// End-to-end session flows on the core API, through fetch Requests and a cookie jar: refresh
// (rotation, the grace window, theft, anti-CSRF on the refresh route) and anti-CSRF on ordinary
// routes. Shared setup: sessions-app.ts.

import { describe, expect, it } from "vitest";
import { sessionsApp } from "./sessions-app.js";

const { setup, uid } = sessionsApp("flow-user");

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
