// The SuperTokens SDK with `tokenTransferMethod: "header"` against a sessionkit server, step by
// step (issue 20): the tokens travel in `st-access-token` / `st-refresh-token` response headers
// and `Authorization: Bearer …`, and the SDK keeps them in the page's own storage (supertokens-website
// fetch.ts `setToken`: the `st-access-token` / `st-refresh-token` cookies of the page's domain).
// Plus "mixed": a cookie-mode page and a header-mode page on one server at the same time.

import { type JSONWebKeySet, createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
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
  pageUrl,
  sessionCookies as authCookies,
} from "./sdk-steps.js";
import { type HeaderStep, JWT, bearer, exposed, modeSteps, stored } from "./sdk-header-mode-steps.js";

let users = 0;
/** Header-mode clearing (supertokens-node clearSession "header"): both token headers present and empty, front-token remove, no anti-csrf. */
const isHeaderClearing = (e: Exchange) =>
  e.response["st-access-token"] === "" &&
  e.response["st-refresh-token"] === "" &&
  e.response["front-token"] === "remove" &&
  e.response["anti-csrf"] === undefined;

/** Registers a describe block: one server with these options, the given header-mode steps. */
export function sdkHeaderSteps(
  setting: Omit<SdkServerOptions, "db">,
  steps: readonly HeaderStep[],
  env: { browser(): Browser; db(): TestDb },
): void {
  const label = `header mode: tokenTransfer ${setting.tokenTransfer ?? "any"}${setting.exposeAccessToken ? ", access token exposed" : ""}, ${setting.antiCsrf}, ${setting.crossOrigin ? "cross-origin" : "same-origin"}, ${setting.adapter} handlers`;
  const user = () => `sdk-header-${setting.adapter}-${++users}-${Date.now()}`;
  describeSdkSteps(label, setting, steps, env, { mode: "header", user }, (step) => {
    step(
      "probe",
      "1. fresh page: the SDK's refresh probe says st-auth-mode: header, carries no token, gets a 401",
      async ({ page, wire, server }) => {
        const before = server.refreshes();
        expect(await page.exists()).toBe(false);
        expect(await page.call("hello")).toEqual({ ok: true, data: { signedIn: false } });
        const [probe, hello] = await wire.settled();
        expect(probe).toMatchObject({ method: "POST", path: "/auth/session/refresh", status: 401 });
        expect(probe!.request).toMatchObject({ rid: "session", "st-auth-mode": "header" });
        expect(probe!.request.authorization).toBeUndefined();
        expect(isHeaderClearing(probe!)).toBe(true);
        expect(hello).toMatchObject({ path: "/trpc/hello", status: 200, request: { "st-auth-mode": "header" } });
        expect(hello!.request.authorization).toBeUndefined();
        expect(server.refreshes() - before).toBe(1);
        expect(await stored(page)).toEqual({});
      },
    );

    step(
      "signIn",
      "2. sign-in through a tRPC mutation: tokens in response headers, kept by the SDK, no cookies",
      async ({ page, wire, context, server, user }) => {
        const signed = ok(await page.call("signIn", user, { role: "admin" }));
        expect(signed.userId).toBe(user);
        const exchange = (await wire.settled()).find((e) => e.path === "/trpc/signIn")!;
        expect(exchange.request["st-auth-mode"]).toBe("header");
        const { "st-access-token": access, "st-refresh-token": refresh, "front-token": front } = exchange.response;
        expect(access).toMatch(JWT);
        expect(refresh).toBeTruthy();
        expect(() => decodeJwt(refresh!)).toThrow(); // opaque
        expect(exchange.setCookies).toEqual([]);
        expect(exchange.response["anti-csrf"]).toBeUndefined(); // supertokens-node: disableAntiCsrf for header sessions
        expect(exposed(exchange)).toEqual(expect.arrayContaining(["front-token", "st-access-token", "st-refresh-token"]));
        expect(decodeFrontToken(front!)).toMatchObject({ uid: user, up: { role: "admin", sub: user } });
        // The SDK read the exposed headers: it keeps exactly these tokens and hands out the access token.
        expect(await stored(page)).toEqual({ access, refresh });
        expect(await page.call("accessToken")).toBe(access);
        expect(await authCookies(context)).toEqual([]);
        expect(await page.userId()).toBe(user);
        expect(await page.payload()).toMatchObject({ role: "admin", sub: user });
        const jwks = (await page.call("jwks")) as JSONWebKeySet;
        const { payload } = await jwtVerify(access!, createLocalJWKSet(jwks), { currentDate: new Date(Date.now() + server.offset()) });
        expect(payload).toMatchObject({ sub: user, sessionHandle: signed.handle, role: "admin" });

        // Through a GraphQL resolver: a new session, its tokens replace the stored ones.
        const viaGraphql = await page.call("gql", 'mutation ($u: String!) { signIn(userId: $u, role: "editor") { userId } }', {
          u: `${user}-gql`,
        });
        expect(viaGraphql).toMatchObject({ status: 200, body: { data: { signIn: { userId: `${user}-gql` } } } });
        const gql = (await wire.settled()).find((e) => e.path === "/graphql" && e.response["st-access-token"])!;
        expect(gql.setCookies).toEqual([]);
        expect(exposed(gql)).toEqual(expect.arrayContaining(["front-token", "st-access-token", "st-refresh-token"]));
        expect(await stored(page)).toEqual({ access: gql.response["st-access-token"], refresh: gql.response["st-refresh-token"] });
        expect(await page.userId()).toBe(`${user}-gql`);
      },
    );

    step(
      "protected",
      "3. protected tRPC and GraphQL calls carry Authorization: Bearer; a 403 starts no refresh",
      async ({ page, wire, server, user }) => {
        const signed = ok(await page.call("signIn", user));
        const tokens = await stored(page);
        const refreshes = server.refreshes();
        await expectProtectedCalls(page, user, signed.handle);
        expect(await page.call("adminOnly")).toMatchObject({ ok: false, status: 403, code: "FORBIDDEN" });
        expect(server.refreshes()).toBe(refreshes);
        const calls = (await wire.settled()).filter(
          (e) => e.path !== "/trpc/signIn" && e.path !== "/auth/session/refresh" && e.method !== "OPTIONS",
        );
        expect(calls).toHaveLength(4);
        for (const call of calls) {
          expect(call.request).toMatchObject({ authorization: bearer(tokens.access), "st-auth-mode": "header", rid: "anti-csrf" });
          expect(call.request["anti-csrf"]).toBeUndefined();
          expect(call.request.cookie ?? "").not.toMatch(/(^|; )sAccessToken=/);
          expect(call.response["st-access-token"]).toBeUndefined(); // a plain call hands out nothing
        }
        if (setting.crossOrigin) expectPreflightsAnswered(server);
      },
    );

    step("expiry", "4. after expiry, five concurrent calls share exactly one refresh (refresh token as Bearer), all succeed", async (f) => {
      const { page, context, server, user, wire } = f;
      ok(await page.call("signIn", user));
      const old = await stored(page);
      const before = await fiveCallsAfterExpiry(f);

      const exchanges = (await wire.settled()).filter((x) => x.method !== "OPTIONS");
      const refused = exchanges.filter((x) => x.status === 401);
      expect(refused).toHaveLength(5);
      for (const x of refused) {
        expect(x.request.authorization).toBe(bearer(old.access));
        expect(x.response["st-access-token"]).toBeUndefined(); // "try refresh token" clears nothing
        expect(x.response["front-token"]).toBeUndefined();
      }
      const refresh = exchanges.find((x) => x.path === "/auth/session/refresh")!;
      expect(refresh).toMatchObject({
        status: 200,
        request: { rid: "session", "st-auth-mode": "header", authorization: bearer(old.refresh) },
      });
      expect(refresh.setCookies).toEqual([]);
      const next = { access: refresh.response["st-access-token"], refresh: refresh.response["st-refresh-token"] };
      expect(next.access).toMatch(JWT);
      expect(next.access).not.toBe(old.access);
      expect(next.refresh).not.toBe(old.refresh);
      expect(decodeFrontToken(refresh.response["front-token"] ?? "").uid).toBe(user);
      expect(await stored(page)).toEqual(next);
      // The retries carried the new access token.
      const retried = exchanges.filter((x) => x.status === 200 && x.path !== "/auth/session/refresh");
      expect(retried).toHaveLength(5);
      for (const x of retried) expect(x.request.authorization).toBe(bearer(next.access));
      expect(Math.abs((await page.call("clockSkew")) - server.offset())).toBeLessThan(5000);

      // A garbled stored access token is not one of ours (ignored, 401): one refresh, and the call succeeds.
      const [access] = (await context.cookies()).filter((x) => x.name === "st-access-token");
      await context.addCookies([{ ...access!, value: "not.a.jwt" }]);
      expect(ok(await page.whoami()).userId).toBe(user);
      expect(server.refreshes() - before).toBe(2);
      expect((await stored(page)).access).toMatch(JWT);
    });

    step(
      "payload",
      "5. updateJWTPayload: the new access token comes in st-access-token and the SDK uses it next",
      async ({ page, wire, server, user }) => {
        ok(await page.call("signIn", user, { plan: "free" }));
        const before = { ...(await stored(page)), refreshes: server.refreshes() };
        ok(await page.call("setPayload", { plan: "pro" }));
        const changed = (await wire.settled()).find((e) => e.path === "/trpc/setPayload")!;
        const access = changed.response["st-access-token"];
        expect(access).toMatch(JWT);
        expect(access).not.toBe(before.access);
        expect(changed.response["st-refresh-token"]).toBeUndefined(); // the refresh token stays
        expect(decodeJwt(access!)).toMatchObject({ plan: "pro", sub: user });
        expect(decodeFrontToken(changed.response["front-token"] ?? "").up).toMatchObject({ plan: "pro" });
        expect(await stored(page)).toEqual({ access, refresh: before.refresh });
        expect(await page.payload()).toMatchObject({ plan: "pro", sub: user });
        await wire.clear();
        expect(ok(await page.whoami()).payload).toEqual({ plan: "pro" });
        expect((await wire.settled()).find((e) => e.path === "/trpc/whoami")?.request.authorization).toBe(bearer(access));
        // And through a GraphQL resolver.
        expect(await page.call("gql", 'mutation { setPayload(key: "via", value: "graphql") { payload } }')).toMatchObject({ status: 200 });
        expect(await page.payload()).toMatchObject({ via: "graphql", plan: "pro" });
        expect(decodeJwt((await stored(page)).access!)).toMatchObject({ via: "graphql" });
        expect(server.refreshes()).toBe(before.refreshes);
      },
    );

    step(
      "revoke",
      "6. revokeSession(handle) on the server: the next call is a 401 that clears the SDK's tokens",
      async ({ page, wire, server, user }) => {
        const { handle } = ok(await page.call("signIn", user));
        expect(await server.sessions.revokeSession(handle)).toBe(true);
        const before = server.refreshes();
        expect(await page.whoami()).toMatchObject({ ok: false, status: 401, sessionCode: "UNAUTHORISED" });
        const refused = (await wire.settled()).find((e) => e.path === "/trpc/whoami")!;
        expect(isHeaderClearing(refused)).toBe(true);
        expect(await page.exists()).toBe(false);
        expect(await stored(page)).toEqual({});
        expect(server.refreshes()).toBe(before);
      },
    );

    step("signOut", "7. signOut(): tokens cleared from the SDK's storage, a protected call is a 401 and nothing loops", async (f) => {
      const { page, wire, server, user } = f;
      ok(await page.call("signIn", user));
      const tokens = await stored(page);
      await page.signOut();
      const out = (await wire.settled()).find((e) => e.path === "/auth/signout" && e.method === "POST")!;
      expect(out).toMatchObject({
        status: 200,
        request: { rid: "session", "st-auth-mode": "header", authorization: bearer(tokens.access) },
      });
      expect(JSON.parse(server.served.filter((s) => s.path === "/auth/signout").at(-1)!.body)).toEqual({ status: "OK" });
      expect(isHeaderClearing(out)).toBe(true);
      expect(out.setCookies).toEqual([]);
      expect(await stored(page)).toEqual({});
      expect(await page.exists()).toBe(false);
      await wire.clear();
      const before = server.refreshes();
      expect(await page.whoami()).toMatchObject({ ok: false, status: 401, sessionCode: "UNAUTHORISED" });
      expect(await page.call("gql", "{ me { userId } }")).toMatchObject({ status: 401 });
      expect(server.refreshes()).toBe(before);
      const after = (await wire.settled()).filter((e) => e.method !== "OPTIONS");
      expect(after.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual(["GET /trpc/whoami 401", "POST /graphql 401"]);
      for (const e of after) expect(e.request.authorization).toBeUndefined();

      // From inside a procedure (revokeSession): the same clearing.
      ok(await page.call("signIn", `${user}-again`));
      expect(await page.call("signOutMutation")).toEqual({ ok: true, data: true });
      expect(await page.exists()).toBe(false);
      expect(await stored(page)).toEqual({});
      // With an expired access token: 401 "try refresh token", one refresh, then the sign-out.
      await expectSignOutAfterExpiry(f);
      expect(await stored(page)).toEqual({});
      // From inside a GraphQL resolver.
      await expectGraphqlSignInOut(page, user);
      expect(await stored(page)).toEqual({});
    });

    step("tabs", "8. two tabs sharing the SDK's storage refresh at once: no logout, no theft", async (f) => {
      const { page, context, wire, server, user } = f;
      const start = server.served.length;
      const { handle } = ok(await page.call("signIn", user));
      const other = await SdkPage.open(context, pageUrl(server, "header"), wire);
      expect(await other.userId()).toBe(user);
      expect(await stored(other)).toEqual(await stored(page));

      // Without the lock, both tabs send the same stored refresh token at once.
      await expectTwoTabsRefresh(f, other, handle, start, async () => {
        const refresh = (await stored(page)).refresh;
        return Promise.all([page.call("refreshWith", bearer(refresh)), other.call("refreshWith", bearer(refresh))]);
      });
      for (const tab of [page, other]) expect(await tab.exists()).toBe(true);
    });

    step(
      "replay",
      "9. a refresh token replayed from outside after rotation: theft detected, the SDK's tokens cleared",
      async ({ page, server, user }) => {
        const { handle } = ok(await page.call("signIn", user));
        const stolen = (await stored(page)).refresh;
        await server.advance((ACCESS_TOKEN_TTL + 1) * 1000);
        expect(ok(await page.whoami()).handle).toBe(handle);
        expect((await stored(page)).refresh).not.toBe(stolen);
        const replay = () =>
          fetch(`${server.apiOrigin}/auth/session/refresh`, {
            method: "POST",
            headers: { authorization: bearer(stolen), rid: "session", "st-auth-mode": "header" },
          });
        expect((await replay()).status).toBe(200); // inside the grace window: a second tab
        await server.advance((GRACE_SECONDS + 1) * 1000);
        const theft = await replay();
        expect(theft.status).toBe(401);
        expect(await theft.json()).toEqual({ message: "token theft detected" });
        expect([theft.headers.get("st-access-token"), theft.headers.get("st-refresh-token"), theft.headers.get("front-token")]).toEqual([
          "",
          "",
          "remove",
        ]);
        expect(await server.sessions.getSessionInformation(handle)).toBeUndefined();
        expect(await page.whoami()).toMatchObject({ ok: false, status: 401, sessionCode: "UNAUTHORISED" });
        expect(await page.exists()).toBe(false);
        expect(await stored(page)).toEqual({});
      },
    );

    modeSteps(step);
  });
}
