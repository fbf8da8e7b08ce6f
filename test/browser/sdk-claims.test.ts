// The unmodified SuperTokens SDK (supertokens-web-js 0.16.0) in Chromium receiving a 403
// invalid-claim answer from a tRPC procedure behind requireSession({ claims }) and from a
// GraphQL field behind @auth(requires:): no refresh request, no cookie cleared, no front-token,
// the user stays signed in and the next allowed call succeeds. Same origin on the fetch handlers,
// and across origins on the Node ones.

import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeInChromium, newContext } from "./helpers/chromium.js";
import { browserEnv } from "./helpers/env.js";
import type { Outcome } from "./helpers/sdk-client.js";
import { SdkPage, WireLog } from "./helpers/sdk-page.js";
import { type SdkServer, type SdkServerOptions, startSdkServer } from "./helpers/sdk-server.js";

const settings: Omit<SdkServerOptions, "db">[] = [
  { antiCsrf: "via-custom-header", crossOrigin: false, adapter: "fetch" },
  { antiCsrf: "via-token", crossOrigin: true, adapter: "node" },
];

const cookiesOf = async (context: BrowserContext) =>
  (await context.cookies())
    .filter((c) => c.name === "sAccessToken" || c.name === "sRefreshToken")
    .map((c) => `${c.name}=${c.value}`)
    .sort();
const data = (outcome: Outcome) => {
  if (!outcome.ok) throw new Error(`call failed: ${JSON.stringify(outcome)}`);
  return outcome.data as { userId: string };
};

describeInChromium("supertokens-web-js in Chromium receiving 403 invalid claim", () => {
  const env = browserEnv();

  describe.each(settings)("$antiCsrf, crossOrigin $crossOrigin, $adapter handlers", (setting) => {
    let server: SdkServer;
    let context: BrowserContext;
    beforeAll(async () => {
      server = await startSdkServer({ ...setting, db: env.db().db });
      context = await newContext(env.browser());
    });
    afterAll(async () => {
      await context?.close();
      await server?.close();
    });

    it("a non-admin gets 403 from tRPC and GraphQL without a refresh or a sign-out; an admin gets in", async () => {
      const wire = new WireLog(context, server.apiOrigin);
      const page = await SdkPage.open(context, server.pageUrl, wire);
      const user = `claims-${setting.adapter}-${Date.now()}`;
      expect(data(await page.call("signIn", user)).userId).toBe(user);
      // The claim travels in the token as SuperTokens lays it out; the SDK reads it from front-token.
      expect((await page.payload())["st-role"]).toMatchObject({ v: [] });
      const cookies = await cookiesOf(context);
      expect(cookies).toHaveLength(2);
      await wire.clear();
      const refreshes = server.refreshes();

      expect(await page.call("adminByClaim")).toMatchObject({
        ok: false,
        status: 403,
        code: "FORBIDDEN",
        sessionCode: "INVALID_CLAIM",
        claimValidationErrors: [{ id: "st-role", reason: { message: "wrong value", expectedToInclude: "admin", actualValue: [] } }],
      });
      const graphql = await page.call("gql", "{ adminSecret }");
      expect(graphql.status).toBe(403);
      expect(graphql.body).toMatchObject({
        data: null,
        errors: [{ message: "invalid claim", path: ["adminSecret"], extensions: { code: "FORBIDDEN", sessionCode: "INVALID_CLAIM" } }],
      });

      // On the wire: two 403s with no Set-Cookie and no front-token, and nothing else (no refresh).
      const exchanges = (await wire.settled()).filter((e) => e.method !== "OPTIONS");
      expect(exchanges.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual(["GET /trpc/adminByClaim 403", "POST /graphql 403"]);
      for (const exchange of exchanges) {
        expect(exchange.setCookies).toEqual([]);
        expect(exchange.response["front-token"]).toBeUndefined();
      }
      expect(server.refreshes()).toBe(refreshes);
      expect(await page.call("linkRefreshes")).toBe(0);

      // Still signed in, same cookies, and the next allowed calls succeed.
      expect(await page.exists()).toBe(true);
      expect(await cookiesOf(context)).toEqual(cookies);
      expect(data(await page.whoami()).userId).toBe(user);
      expect(await page.call("gql", "{ me { userId } }")).toEqual({ status: 200, body: { data: { me: { userId: user } } } });
      expect(server.refreshes()).toBe(refreshes);

      // An admin (the claim's fetcher says so at sign-in) passes both checks.
      const admin = `${user}-admin`;
      data(await page.call("signIn", admin));
      expect((await page.payload())["st-role"]).toMatchObject({ v: ["admin"] });
      expect(await page.call("adminByClaim")).toEqual({ ok: true, data: `claim secret for ${admin}` });
      expect(await page.call("gql", "{ adminSecret }")).toEqual({
        status: 200,
        body: { data: { adminSecret: `claim secret for ${admin}` } },
      });
      expect(server.refreshes()).toBe(refreshes);
    });
  });
});
