// Remember me on every response that writes a session's cookies: sign-in, the refresh route (and a
// second tab in the grace window), updateJWTPayload, refreshClaim, the claims refetch after
// refreshClaimsForUser, a refresh after a server-side payload change; header mode keeps the choice
// in the token; clearing still expires the cookies; remember (the default) keeps Expires, and the
// refresh cookie never outlives maxLifetime.

import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreateSessionsOptions, claim, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { HeaderClient } from "../helpers/header-client.js";

/** The auth cookies a response sets with a value (not the clearing ones). */
const authCookies = (res: Response) =>
  res.headers.getSetCookie().filter((l) => /^(sAccessToken|sRefreshToken)=[^;]/.test(l) && !l.startsWith("sAccessToken=;"));
const names = (lines: string[]) => lines.map((l) => l.slice(0, l.indexOf("="))).sort();
const persistent = (line: string) => /;\s*(Expires|Max-Age)=/i.test(line);

describe.each(availableKinds)("remember me on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());

  const uid = () => `rm-${Math.random().toString(36).slice(2, 10)}`;
  const roles = new Map<string, string[]>();
  const role = claim<string[]>("st-role", { fetch: (userId) => roles.get(userId) ?? [] });

  function setup(options: Partial<CreateSessionsOptions> = {}) {
    const clock = testClock();
    const sessions = createSessions({
      store: drizzleStore(db.db),
      accessTokenTtl: 60,
      now: clock.now,
      claims: [role],
      revocation: "notify",
      notifyChannel: `rm_${Math.random().toString(36).slice(2, 10)}`,
      notifyHeartbeatMs: 600_000,
      ...options,
    });
    const routes = createTestApp(sessions);
    const app = async (request: Request): Promise<Response> => {
      const { pathname } = new URL(request.url);
      const headers = new Headers();
      if (pathname === "/login") {
        const body = (await request.json()) as { userId: string; remember?: boolean };
        const s = await sessions.createNewSession({ userId: body.userId, remember: body.remember }, headers, request);
        return new Response(JSON.stringify({ handle: s.getHandle() }), { headers });
      }
      if (pathname === "/claim") {
        const s = await sessions.getSession(request, headers);
        await s.refreshClaim(role);
        return new Response("{}", { headers });
      }
      return routes(request);
    };
    return { clock, sessions, app, client: () => new TestClient(app, clock.now) };
  }

  it("remember: false: no Expires/Max-Age on sign-in, refresh, grace-window refresh, updateJWTPayload, refreshClaim, claims refetch", async () => {
    const { clock, sessions, client } = setup();
    const c = client();
    const userId = uid();
    const kinds: Record<string, Response> = {};

    kinds.signIn = await c.call("/login", { body: { userId, remember: false } });
    expect(c.front()?.up.skRemember).toBe(false);
    expect(names(authCookies(kinds.signIn))).toEqual(["sAccessToken", "sRefreshToken"]);

    kinds.updateJWTPayload = await c.call("/payload", { body: { theme: "dark" } });
    expect(kinds.updateJWTPayload.status).toBe(200);
    roles.set(userId, ["editor"]);
    kinds.refreshClaim = await c.call("/claim", { body: {} });
    expect(kinds.refreshClaim.status).toBe(200);

    clock.advance(61_000);
    const tab = client();
    for (const name of ["sAccessToken", "sRefreshToken"]) {
      const cookie = c.jar.get(name);
      if (cookie) tab.jar.set(name, cookie, name === "sRefreshToken" ? "/auth/session/refresh" : "/");
    }
    kinds.refresh = await c.refresh();
    expect(kinds.refresh.status).toBe(200);
    // A second tab with the same cookies inside the grace window gets the same new token.
    kinds.graceRefresh = await tab.refresh();
    expect(kinds.graceRefresh.status).toBe(200);

    // A server-side payload change (no cookies there); the next refresh still writes session cookies.
    await sessions.updateJWTPayload((await sessions.listSessions(userId))[0]?.handle ?? "", { theme: "light" });
    clock.advance(61_000);
    kinds.refreshAfterServerChange = await c.refresh();
    expect(kinds.refreshAfterServerChange.status).toBe(200);

    // refreshClaimsForUser: this instance re-issues the token at the next request (refetchAllClaims).
    roles.set(userId, ["admin"]);
    clock.advance(1);
    await sessions.refreshClaimsForUser(userId);
    kinds.claimsRefetch = await c.call("/me");
    expect(kinds.claimsRefetch.status).toBe(200);
    expect(c.front()?.up["st-role"]).toMatchObject({ v: ["admin"] });

    for (const [what, res] of Object.entries(kinds)) {
      const lines = authCookies(res);
      const expected = ["signIn", "refresh", "graceRefresh", "refreshAfterServerChange"].includes(what)
        ? ["sAccessToken", "sRefreshToken"]
        : ["sAccessToken"];
      expect(names(lines), what).toEqual(expected);
      for (const line of lines) expect(persistent(line), `${what}: ${line}`).toBe(false);
    }
    expect(c.front()?.up.skRemember).toBe(false);

    // Sign-out still removes them at once.
    const out = await c.call("/revoke", { body: {} });
    const cleared = out.headers.getSetCookie().filter((l) => /^(sAccessToken|sRefreshToken)=;/.test(l));
    expect(cleared).toHaveLength(2);
    for (const line of cleared) expect(line).toMatch(/Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0/);
    await sessions.close();
  });

  it("remember (the default): every response kind keeps Expires, the refresh cookie never past maxLifetime", async () => {
    const { clock, sessions, client } = setup({ maxLifetime: 3600, refreshTokenTtl: 3000 });
    const c = client();
    const start = clock.now();
    const signIn = await c.call("/login", { body: { userId: uid() } });
    expect(c.front()?.up).not.toHaveProperty("skRemember");
    const payload = await c.call("/payload", { body: { theme: "dark" } });
    clock.set(start + 1000_000);
    const refresh = await c.refresh();
    for (const res of [signIn, payload, refresh]) {
      const lines = authCookies(res);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(persistent(line), line).toBe(true);
    }
    const refreshExpiry = (res: Response) =>
      Date.parse(/Expires=([^;]+)/.exec(authCookies(res).find((l) => l.startsWith("sRefreshToken=")) ?? "")?.[1] ?? "");
    expect(refreshExpiry(signIn)).toBe(start + 3000_000);
    // Idle expiry now + 3000 s would pass the cap (sign-in + 3600 s): the cap wins.
    expect(refreshExpiry(refresh)).toBe(start + 3600_000);
    await sessions.close();
  });

  it("header mode: the choice travels in the token through refresh and updateJWTPayload; no cookie is set", async () => {
    const { clock, sessions, app } = setup();
    const h = new HeaderClient(app);
    const userId = uid();
    const signIn = await h.call("/login", { body: { userId, remember: false } });
    expect(signIn.status).toBe(200);
    expect(decodeJwt(h.accessToken ?? "").skRemember).toBe(false);
    clock.advance(61_000);
    const refresh = await h.refresh();
    expect(refresh.status).toBe(200);
    expect(decodeJwt(h.accessToken ?? "").skRemember).toBe(false);
    const payload = await h.call("/payload", { body: { theme: "dark" } });
    expect(payload.status).toBe(200);
    expect(decodeJwt(h.accessToken ?? "")).toMatchObject({ skRemember: false, theme: "dark" });
    for (const res of [signIn, refresh, payload]) expect(authCookies(res)).toEqual([]);
    // And a header-mode session that remembers carries no such claim.
    const other = new HeaderClient(app);
    await other.call("/login", { body: { userId } });
    expect(decodeJwt(other.accessToken ?? "")).not.toHaveProperty("skRemember");
    await sessions.close();
  });

  it("skRemember is reserved: a payload cannot set it; remember must be a boolean", async () => {
    const { sessions } = setup();
    await expect(sessions.createNewSession({ userId: uid(), jwtPayload: { skRemember: true } }, new Headers())).rejects.toThrow(
      /reserved claim "skRemember"/,
    );
    await expect(sessions.createNewSession({ userId: uid(), remember: "no" as never }, new Headers())).rejects.toThrow(
      /remember must be a boolean/,
    );
    await sessions.close();
  });
});
