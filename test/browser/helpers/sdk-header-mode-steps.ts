// The header-mode SDK steps where two modes meet (issue 20): a cookie page and a header page on
// one server ("mixed"), one browser switching modes ("switch"), and cookie mode with the access
// token exposed ("exposed"); registered by sdkHeaderSteps (sdk-header-scenarios.ts).

import { expect } from "vitest";
import { type Exchange, SdkPage } from "./sdk-page.js";
import { ACCESS_TOKEN_TTL } from "./sdk-server.js";
import { type StepFn, ok, pageUrl, sessionCookies as authCookies } from "./sdk-steps.js";

export type HeaderStep =
  | "probe"
  | "signIn"
  | "protected"
  | "expiry"
  | "payload"
  | "revoke"
  | "signOut"
  | "tabs"
  | "replay"
  | "mixed"
  | "switch"
  | "exposed";

export const JWT = /^ey[\w-]+\.ey[\w-]+\.[\w-]+$/;
export const exposed = (e: Exchange) => (e.response["access-control-expose-headers"] ?? "").split(/,\s*/);
/** The tokens the page's SDK keeps (its `st-access-token` / `st-refresh-token` storage). */
export const stored = (page: SdkPage) => page.call("storedTokens");
export const bearer = (token: string | undefined) => `Bearer ${token}`;

/** Registers steps 10 to 12 ("mixed", "switch", "exposed"). */
export function modeSteps(step: StepFn<HeaderStep>): void {
  step(
    "mixed",
    "10. a cookie-mode page and a header-mode page on one server at once, each in its own mode",
    async ({ open, page: headerPage, wire: headerWire, context: headerContext, server, user }) => {
      const cookie = await open("cookie");
      const [h, c] = await Promise.all([headerPage.call("signIn", `${user}-h`), cookie.page.call("signIn", `${user}-c`)]);
      const [hs, cs] = [ok(h), ok(c)];
      await server.advance((ACCESS_TOKEN_TTL + 1) * 1000);
      const before = server.refreshes();
      const [hw, cw, hg, cg] = await Promise.all([
        headerPage.whoami(),
        cookie.page.whoami(),
        headerPage.call("gql", "{ me { handle } }"),
        cookie.page.call("gql", "{ me { handle } }"),
      ]);
      expect([ok(hw).handle, ok(cw).handle]).toEqual([hs.handle, cs.handle]);
      expect([hg, cg]).toEqual([
        { status: 200, body: { data: { me: { handle: hs.handle } } } },
        { status: 200, body: { data: { me: { handle: cs.handle } } } },
      ]);
      expect(server.refreshes() - before).toBe(2); // one each

      // The header client never got a cookie; the cookie client never got a token header nor sent Authorization.
      for (const e of (await headerWire.settled()).filter((x) => x.method !== "OPTIONS")) {
        expect(e.setCookies.filter((l) => !/^s(Access|Refresh)Token=;/.test(l))).toEqual([]);
        expect(e.request["st-auth-mode"]).toBe("header");
      }
      expect(await authCookies(headerContext)).toEqual([]);
      for (const e of (await cookie.wire.settled()).filter((x) => x.method !== "OPTIONS")) {
        expect(e.response["st-access-token"] || undefined).toBeUndefined();
        expect(e.response["st-refresh-token"] || undefined).toBeUndefined();
        expect(e.request.authorization).toBeUndefined();
        expect(e.request["st-auth-mode"]).toBe("cookie");
      }
      expect((await authCookies(cookie.context)).map((x) => x.name).sort()).toEqual(["sAccessToken", "sRefreshToken"]);
      expect(await stored(cookie.page)).toEqual({});

      // One signs out; the other is untouched.
      await headerPage.signOut();
      expect(await stored(headerPage)).toEqual({});
      expect(ok(await cookie.page.whoami()).handle).toBe(cs.handle);
      await cookie.page.signOut();
      expect(await authCookies(cookie.context)).toEqual([]);
      for (const handle of [hs.handle, cs.handle]) expect(await server.sessions.getSessionInformation(handle)).toBeUndefined();
    },
  );

  step(
    "switch",
    "11. one browser switching modes: each sign-in clears the other mode's tokens (cookies expired, or empty token headers)",
    async ({ open, server, user }) => {
      const { context, wire, page: cookiePage } = await open("cookie");
      ok(await cookiePage.call("signIn", `${user}-c`));
      expect((await authCookies(context)).map((c) => c.name).sort()).toEqual(["sAccessToken", "sRefreshToken"]);

      // The same browser (same page origin: the SDK's storage is shared) signs in again in header mode.
      const headerPage = await SdkPage.open(context, pageUrl(server, "header"), wire);
      await wire.clear();
      const h = ok(await headerPage.call("signIn", `${user}-h`));
      const toHeader = (await wire.settled()).find((e) => e.path === "/trpc/signIn")!;
      expect(toHeader.request.cookie).toMatch(/(^|; )sAccessToken=/);
      expect(toHeader.setCookies.map((l) => l.split(";")[0]).sort()).toEqual(["sAccessToken=", "sRefreshToken="]);
      expect(toHeader.response["st-access-token"]).toMatch(JWT);
      expect(toHeader.response["front-token"]).not.toBe("remove");
      expect(await authCookies(context)).toEqual([]);
      expect(ok(await headerPage.whoami()).handle).toBe(h.handle);

      // And back: supertokens-website adds Authorization whenever it holds both tokens, even in
      // cookie mode, so the cookie sign-in carries it and its response clears them.
      await wire.clear();
      const c = ok(await cookiePage.call("signIn", `${user}-c2`));
      const toCookie = (await wire.settled()).find((e) => e.path === "/trpc/signIn")!;
      expect(toCookie.request.authorization).toMatch(/^Bearer ey/);
      expect([toCookie.response["st-access-token"], toCookie.response["st-refresh-token"]]).toEqual(["", ""]);
      expect(toCookie.setCookies.map((l) => l.split("=")[0]).sort()).toEqual(["sAccessToken", "sRefreshToken"]);
      expect(await stored(cookiePage)).toEqual({});
      await wire.clear();
      expect(ok(await cookiePage.whoami()).handle).toBe(c.handle);
      expect((await wire.settled()).find((e) => e.path === "/trpc/whoami")?.request.authorization).toBeUndefined();
    },
  );

  step(
    "exposed",
    "12. cookie mode with exposeAccessTokenToFrontendInCookieBasedAuth: the SDK's getAccessToken() has the token, calls still use the cookie",
    async ({ open, server, user }) => {
      const { context, wire, page } = await open("cookie");
      ok(await page.call("signIn", user));
      const signIn = (await wire.settled()).find((e) => e.path === "/trpc/signIn")!;
      const access = signIn.response["st-access-token"];
      expect(access).toMatch(JWT);
      expect(signIn.response["st-refresh-token"]).toBeUndefined();
      expect(exposed(signIn)).toEqual(expect.arrayContaining(["st-access-token"]));
      expect((await authCookies(context)).find((c) => c.name === "sAccessToken")?.value).toBe(access);
      expect(await page.call("accessToken")).toBe(access);
      expect(await stored(page)).toEqual({ access });
      // Without a refresh token in storage the SDK adds no Authorization: the cookie carries the session.
      await server.advance((ACCESS_TOKEN_TTL + 1) * 1000);
      await wire.clear();
      expect(ok(await page.whoami()).userId).toBe(user);
      const exchanges = (await wire.settled()).filter((e) => e.method !== "OPTIONS");
      for (const e of exchanges) expect(e.request.authorization).toBeUndefined();
      const refresh = exchanges.find((e) => e.path === "/auth/session/refresh")!;
      expect(refresh.response["st-access-token"]).toMatch(JWT);
      expect(await page.call("accessToken")).toBe(refresh.response["st-access-token"]);
      await page.signOut();
      expect(await page.call("accessToken")).toBeUndefined();
      expect(await authCookies(context)).toEqual([]);
    },
  );
}
