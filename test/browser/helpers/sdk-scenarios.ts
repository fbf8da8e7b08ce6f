// The SuperTokens SDK against a sessionkit server, step by step (the numbered list of issue 10).
// A test file picks a server setting and the steps to run; every step has a context and pages of
// its own and signs in a user of its own.

import { decodeProtectedHeader, jwtVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { Browser } from "playwright-core";
import { expect } from "vitest";
import type { TestDb } from "../../helpers/db.js";
import { type Exchange, SdkPage, decodeFrontToken } from "./sdk-page.js";
import { ACCESS_TOKEN_TTL, GRACE_SECONDS, type SdkServerOptions } from "./sdk-server.js";
import {
  describeSdkSteps,
  expectGraphqlSignInOut,
  expectPreflightsAnswered,
  expectProtectedCalls,
  expectSignOutAfterExpiry,
  expectTwoTabsRefresh,
  fiveCallsAfterExpiry,
  ok,
  sessionCookies,
} from "./sdk-steps.js";

export type Step = "probe" | "signIn" | "protected" | "expiry" | "payload" | "revoke" | "signOut" | "tabs" | "replay";
export const ALL_STEPS: readonly Step[] = ["probe", "signIn", "protected", "expiry", "payload", "revoke", "signOut", "tabs", "replay"];

let users = 0;
const isClearing = (e: Exchange) =>
  e.response["front-token"] === "remove" &&
  ["sAccessToken", "sRefreshToken"].every((name) =>
    e.setCookies.some((l) => l.startsWith(`${name}=;`) && /Expires=Thu, 01 Jan 1970/.test(l)),
  ) &&
  e.response["anti-csrf"] === undefined;

/**
 * Registers a describe block: one sessionkit server with these options, the given steps, in
 * the file's browser. `setting` names the block (mode, origin, adapter).
 */
export function sdkSteps(setting: Omit<SdkServerOptions, "db">, steps: readonly Step[], env: { browser(): Browser; db(): TestDb }): void {
  const label = `${setting.antiCsrf}, ${setting.crossOrigin ? "cross-origin" : "same-origin"}, ${setting.adapter} handlers`;
  const user = () => `sdk-${setting.antiCsrf}-${setting.crossOrigin ? "x" : "s"}-${++users}-${Date.now()}`;
  describeSdkSteps(label, setting, steps, env, { mode: "cookie", user }, (step) => {
    step("probe", "1. fresh page: no session, and the SDK's first refresh probe gets a 401", async ({ page, wire, server }) => {
      const before = server.refreshes();
      expect(await page.exists()).toBe(false);
      expect(await page.call("hello")).toEqual({ ok: true, data: { signedIn: false } });
      const [probe, hello] = await wire.settled();
      expect(probe).toMatchObject({ method: "POST", path: "/auth/session/refresh", status: 401 });
      const answered = server.served.filter((s) => s.path === "/auth/session/refresh").at(-1);
      expect(answered && JSON.parse(answered.body)).toEqual({ message: "unauthorised" });
      expect(probe!.request).toMatchObject({ rid: "session", "st-auth-mode": "cookie" });
      expect(probe!.request["fdi-version"]).toBeTruthy();
      expect(isClearing(probe!)).toBe(true);
      expect(hello).toMatchObject({ path: "/trpc/hello", status: 200 });
      expect(server.refreshes() - before).toBe(1);
      expect(await page.exists()).toBe(false);
    });

    step(
      "signIn",
      "2. sign-in through a tRPC mutation: the SDK sees the server's session",
      async ({ page, wire, context, server, user }) => {
        const signed = ok(await page.call("signIn", user, { name: "Ada", role: "reader" }));
        expect(await page.exists()).toBe(true);
        expect(await page.userId()).toBe(user);
        const info = await server.sessions.getSessionInformation(signed.handle);
        expect(info?.userId).toBe(user);
        const payload = await page.payload();
        expect(payload).toMatchObject({ ...info?.jwtPayload, sub: user, sessionHandle: signed.handle });
        expect(payload.exp as number).toBe((payload.iat as number) + ACCESS_TOKEN_TTL);
        expect(Math.abs((payload.iat as number) * 1000 - (Date.now() + server.offset()))).toBeLessThan(5000);

        // On the wire: cookies and front-token (+ anti-csrf in via-token) on the tRPC response itself.
        const response = (await wire.settled()).find((e) => e.path === "/trpc/signIn");
        const front = decodeFrontToken(response?.response["front-token"] ?? "");
        expect(front).toEqual({ uid: user, ate: (payload.exp as number) * 1000, up: payload });
        const access = response?.setCookies.find((l) => l.startsWith("sAccessToken="));
        const refresh = response?.setCookies.find((l) => l.startsWith("sRefreshToken="));
        expect(access).toMatch(/; Path=\/; .*HttpOnly.*; SameSite=Lax/);
        expect(refresh).toMatch(/; Path=\/auth\/session\/refresh; .*HttpOnly.*; SameSite=Lax/);
        expect(`${access} ${refresh}`).not.toMatch(/Domain=/);
        if (setting.antiCsrf === "via-token") {
          expect(response?.response["anti-csrf"]).toBeTruthy();
          expect(payload.antiCsrfToken).toBe(response?.response["anti-csrf"]);
        } else {
          expect(response?.response["anti-csrf"]).toBeUndefined();
        }
        if (setting.crossOrigin) {
          expect(response?.response["access-control-allow-origin"]).toBe(new URL(server.pageUrl).origin);
          expect(response?.response["access-control-allow-credentials"]).toBe("true");
          expect(response?.response["access-control-expose-headers"]).toMatch(/front-token.*anti-csrf|anti-csrf.*front-token/);
        }
        const cookies = await sessionCookies(context);
        expect(cookies.map((c) => [c.name, c.domain, c.path, c.httpOnly, c.sameSite]).sort()).toEqual([
          ["sAccessToken", "127.0.0.1", "/", true, "Lax"],
          ["sRefreshToken", "127.0.0.1", "/auth/session/refresh", true, "Lax"],
        ]);

        // The JWKS, fetched by the page, verifies the access token the browser holds.
        const jwks = (await page.call("jwks")) as JSONWebKeySet;
        const token = cookies.find((c) => c.name === "sAccessToken")!.value;
        expect(jwks.keys.map((k) => k.kid)).toContain(decodeProtectedHeader(token).kid);
        const verified = await jwtVerify(token, createLocalJWKSet(jwks), { currentDate: new Date(Date.now() + server.offset()) });
        expect(verified.payload).toEqual(payload);

        // Signing in through a GraphQL resolver replaces the session the same way.
        const viaGraphql = await page.call("gql", 'mutation ($u: String!) { signIn(userId: $u, role: "editor") { userId handle } }', {
          u: `${user}-gql`,
        });
        expect(viaGraphql).toMatchObject({ status: 200, body: { data: { signIn: { userId: `${user}-gql` } } } });
        expect(await page.userId()).toBe(`${user}-gql`);
        expect(await page.payload()).toMatchObject({ role: "editor", sub: `${user}-gql` });
      },
    );

    step(
      "protected",
      "3. a protected tRPC query and an @auth GraphQL field succeed; a 403 starts no refresh",
      async ({ page, wire, server, user }) => {
        const signed = ok(await page.call("signIn", user));
        const refreshes = server.refreshes();
        await expectProtectedCalls(page, user, signed.handle);
        const renamed = await page.call("gql", 'mutation { setPayload(key: "via", value: "graphql") { payload } }');
        expect(renamed).toMatchObject({ status: 200 });
        expect(await page.payload()).toMatchObject({ via: "graphql" });
        expect(await page.call("adminOnly")).toMatchObject({ ok: false, status: 403, code: "FORBIDDEN" });
        expect(server.refreshes()).toBe(refreshes);
        expect(await page.call("linkRefreshes")).toBe(0);

        const exchanges = await wire.settled();
        const calls = exchanges.filter((e) => e.path !== "/trpc/signIn" && e.path !== "/auth/session/refresh");
        expect(calls.length).toBeGreaterThanOrEqual(5);
        const signIn = exchanges.find((e) => e.path === "/trpc/signIn");
        for (const call of calls) {
          expect(call.request).toMatchObject({ rid: "anti-csrf", "st-auth-mode": "cookie" });
          // The SDK's own cookies reach the API too, and are ignored.
          expect(call.request.cookie).toMatch(/sAccessToken=/);
          expect(call.request.cookie).toMatch(/sFrontToken=/);
          expect(call.request.cookie).toMatch(/st-last-access-token-update=/);
          expect(call.request.cookie).not.toMatch(/sRefreshToken=/);
          if (setting.antiCsrf === "via-token" && call.path !== "/graphql")
            expect(call.request["anti-csrf"]).toBe(signIn?.response["anti-csrf"]);
        }
        if (setting.antiCsrf === "via-token") {
          // A new access token carries the same session's anti-CSRF token, in the same response as the front-token.
          const graphqlRename = calls.find((e) => e.path === "/graphql" && e.response["front-token"]);
          expect(graphqlRename?.response["anti-csrf"]).toBe(signIn?.response["anti-csrf"]);
        }
        if (setting.crossOrigin) expectPreflightsAnswered(server);
      },
    );

    step("expiry", "4. after expiry, five concurrent protected calls share exactly one refresh and all succeed", async (f) => {
      const { page, context, server, user, wire } = f;
      ok(await page.call("signIn", user));
      const before = await fiveCallsAfterExpiry(f);
      // Each call was refused once with 401 "try refresh token", cookies kept; the refresh carried
      // rid "session" (and the anti-csrf token in via-token) and answered new cookies and a front-token.
      const exchanges = await wire.settled();
      const refused = exchanges.filter((x) => x.status === 401);
      expect(refused).toHaveLength(5);
      for (const x of refused) expect(x.setCookies).toEqual([]);
      const tryRefresh = server.served.filter((s) => s.status === 401).slice(-5);
      expect(tryRefresh.filter((s) => s.path.startsWith("/trpc/")).every((s) => s.body.includes("TRY_REFRESH_TOKEN"))).toBe(true);
      const refresh = exchanges.find((x) => x.path === "/auth/session/refresh");
      expect(refresh).toMatchObject({ method: "POST", status: 200, request: { rid: "session", "st-auth-mode": "cookie" } });
      expect(refresh?.setCookies.map((l) => l.split("=")[0]).sort()).toEqual(["sAccessToken", "sRefreshToken"]);
      expect(decodeFrontToken(refresh?.response["front-token"] ?? "").uid).toBe(user);
      if (setting.antiCsrf === "via-token") {
        expect(refresh?.request["anti-csrf"]).toBeTruthy();
        expect(refresh?.response["anti-csrf"]).toBe(refresh?.request["anti-csrf"]);
      }
      // The SDK corrected its clock from the new token's iat: it sees the session as valid with no further refresh.
      expect(Math.abs((await page.call("clockSkew")) - server.offset())).toBeLessThan(5000);
      expect(await page.exists()).toBe(true);
      expect(server.refreshes() - before).toBe(1);

      // A garbled access token is "try refresh token" as well: one refresh, and the call succeeds.
      const [access] = (await sessionCookies(context)).filter((c) => c.name === "sAccessToken");
      await context.addCookies([{ ...access!, value: "not.a.jwt" }]);
      expect(ok(await page.whoami()).userId).toBe(user);
      expect(server.refreshes() - before).toBe(2);
    });

    step(
      "payload",
      "5. updateJWTPayload in a mutation: the SDK sees the new payload without a refresh",
      async ({ page, wire, server, user }) => {
        ok(await page.call("signIn", user, { plan: "free" }));
        const before = server.refreshes();
        ok(await page.call("setPayload", { plan: "pro" }));
        expect(await page.payload()).toMatchObject({ plan: "pro", sub: user });
        const changed = (await wire.settled()).find((e) => e.path === "/trpc/setPayload");
        expect(decodeFrontToken(changed?.response["front-token"] ?? "").up).toMatchObject({ plan: "pro" });
        if (setting.antiCsrf === "via-token") expect(changed?.response["anti-csrf"]).toBeTruthy();
        expect(server.refreshes()).toBe(before);
        expect(ok(await page.whoami()).payload).toEqual({ plan: "pro" });
      },
    );

    step(
      "revoke",
      "6. revokeSession(handle) on the server: the next call is a 401 and the SDK's session ends",
      async ({ page, wire, context, server, user }) => {
        const { handle } = ok(await page.call("signIn", user));
        expect(await server.sessions.revokeSession(handle)).toBe(true);
        const before = server.refreshes();
        expect(await page.whoami()).toMatchObject({ ok: false, status: 401, sessionCode: "UNAUTHORISED" });
        expect(await page.exists()).toBe(false);
        const refused = (await wire.settled()).find((e) => e.path === "/trpc/whoami");
        expect(refused?.status).toBe(401);
        expect(isClearing(refused!)).toBe(true);
        expect(await sessionCookies(context)).toEqual([]);
        // The revoked response cleared the session: the SDK does not even try to refresh.
        expect(server.refreshes()).toBe(before);
      },
    );

    step("signOut", "7. signOut(): cookies gone, no session, a protected call is a 401 and nothing loops", async (f) => {
      const { page, wire, context, server, user } = f;
      ok(await page.call("signIn", user));
      await page.signOut();
      const out = (await wire.settled()).find((e) => e.path === "/auth/signout");
      expect(out).toMatchObject({ method: "POST", status: 200, request: { rid: "session" } });
      const answered = server.served.filter((s) => s.path === "/auth/signout").at(-1);
      expect(answered && JSON.parse(answered.body)).toEqual({ status: "OK" });
      expect(isClearing(out!)).toBe(true);
      expect(await sessionCookies(context)).toEqual([]);
      expect(await page.exists()).toBe(false);
      await wire.clear();
      const before = server.refreshes();
      expect(await page.whoami()).toMatchObject({ ok: false, status: 401, sessionCode: "UNAUTHORISED" });
      expect(await page.call("gql", "{ me { userId } }")).toMatchObject({ status: 401 });
      expect(server.refreshes()).toBe(before);
      expect((await wire.settled()).map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual(["GET /trpc/whoami 401", "POST /graphql 401"]);

      // Signing out from inside a procedure (revokeSession) clears the SDK's session the same way.
      ok(await page.call("signIn", `${user}-again`));
      expect(await page.call("signOutMutation")).toEqual({ ok: true, data: true });
      expect(await page.exists()).toBe(false);
      expect(await sessionCookies(context)).toEqual([]);
      // With an expired access token, sign-out answers 401 "try refresh token": the SDK refreshes and signs out.
      await expectSignOutAfterExpiry(f);
      expect(await page.exists()).toBe(false);

      // And from inside a GraphQL resolver.
      await expectGraphqlSignInOut(page, user);
      expect(await sessionCookies(context)).toEqual([]);
    });

    step("tabs", "8. two tabs refreshing at the same moment: no theft, both keep working", async (f) => {
      const { page, context, server, user, wire } = f;
      const start = server.served.length;
      const { handle } = ok(await page.call("signIn", user));
      const other = await SdkPage.open(context, server.pageUrl, wire);
      expect(await other.userId()).toBe(user);

      // Without the lock, both tabs send the cookie's refresh token at once.
      const refresh = () =>
        fetch(`${(window as unknown as { API: string }).API}/auth/session/refresh`, {
          method: "POST",
          headers: { rid: "session" },
          credentials: "include",
        }).then((r) => r.status);
      await expectTwoTabsRefresh(f, other, handle, start, () => Promise.all([page.page.evaluate(refresh), other.page.evaluate(refresh)]));
    });

    step(
      "replay",
      "9. a refresh token replayed from outside after rotation: theft detected, the browser's session ends",
      async ({ page, context, server, user }) => {
        const { handle } = ok(await page.call("signIn", user));
        const stolen = (await sessionCookies(context)).find((c) => c.name === "sRefreshToken")!.value;
        await server.advance((ACCESS_TOKEN_TTL + 1) * 1000);
        expect(ok(await page.whoami()).handle).toBe(handle); // the browser refreshed: the stolen token is rotated away
        expect((await sessionCookies(context)).find((c) => c.name === "sRefreshToken")?.value).not.toBe(stolen);

        const replay = () =>
          fetch(`${server.apiOrigin}/auth/session/refresh`, {
            method: "POST",
            headers: { cookie: `sRefreshToken=${stolen}`, rid: "session" },
          });
        // Inside the grace window it is taken for a second tab: no theft yet.
        expect((await replay()).status).toBe(200);
        expect(ok(await page.whoami()).handle).toBe(handle);

        await server.advance((GRACE_SECONDS + 1) * 1000);
        const theft = await replay();
        expect(theft.status).toBe(401);
        expect(await theft.json()).toEqual({ message: "token theft detected" });
        expect(theft.headers.get("front-token")).toBe("remove");
        expect(await server.sessions.getSessionInformation(handle)).toBeUndefined();
        // The access token is still unexpired, but the session is revoked: the browser is out at once.
        expect(await page.whoami()).toMatchObject({ ok: false, status: 401, sessionCode: "UNAUTHORISED" });
        expect(await page.exists()).toBe(false);
        expect(await sessionCookies(context)).toEqual([]);
      },
    );
  });
}
