// The GraphQL example in headless Chromium with the SuperTokens SDK (supertokens-web-js
// 0.16): plain fetch to /graphql, the SDK refreshes on the 401 of an expired token and
// retries, reads front-token, and sees the sign-out.

import { readFileSync, readdirSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type App, createApp } from "../../examples/graphql/app.js";
import { describeInChromium, launchChromium } from "../browser/helpers/chromium.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

const BUNDLES = join("node_modules", "supertokens-web-js", "bundle");
const bundle = (prefix: string) => readdirSync(BUNDLES).find((f) => f.startsWith(`${prefix}.`) && f.endsWith(".js"));

const PAGE = `<!doctype html><meta charset="utf-8"><title>sdk</title>
<script src="/sdk/website.js"></script><script src="/sdk/supertokens.js"></script><script src="/sdk/session.js"></script>
<script>
  supertokens.init({ appInfo: { appName: "graphql-test", apiDomain: location.origin, apiBasePath: "/auth" }, recipeList: [supertokensSession.init()] });
  window.gql = async (query, variables) => {
    const r = await fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
    return { status: r.status, body: await r.json() };
  };
</script>`;

describeInChromium("SuperTokens SDK in Chromium against the GraphQL example", () => {
  let db: TestDb;
  let app: App;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let now = Date.now();
  const refreshes = { count: 0 };

  beforeAll(async () => {
    db = await createTestDb();
    app = await createApp({
      db: db.db,
      logging: false,
      sessionsOptions: { accessTokenTtl: 60, now: () => now, cookies: { secure: false } },
    });
    const files: Record<string, string> = {};
    for (const name of ["website", "supertokens", "session"]) {
      const file = bundle(name);
      if (!file) throw new Error(`no ${name} bundle in ${BUNDLES}`);
      files[`/sdk/${name}.js`] = readFileSync(join(BUNDLES, file), "utf8");
    }
    server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (path === "/auth/session/refresh") refreshes.count++;
      if (path === "/") {
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end(PAGE);
      } else if (files[path] !== undefined) {
        res.setHeader("content-type", "text/javascript");
        res.end(files[path]);
      } else {
        void app.yoga(req, res);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await app?.close();
    await db?.close();
  });

  type Reply = { status: number; body: { data?: Record<string, unknown> | null; errors?: unknown[] } };
  const gql = (query: string, variables?: Record<string, unknown>) =>
    page.evaluate(([q, v]) => (window as unknown as { gql(q: string, v: unknown): Promise<Reply> }).gql(q as string, v), [
      query,
      variables,
    ] as const);

  it("signs up, refreshes silently after expiry, renames, signs out", async () => {
    const signUp = await gql('mutation { signUp(name: "browser", password: "browser password") { name } }');
    expect(signUp).toEqual({ status: 200, body: { data: { signUp: { name: "browser" } } } });
    expect(
      await page.evaluate(() =>
        (window as unknown as { supertokensSession: { doesSessionExist(): Promise<boolean> } }).supertokensSession.doesSessionExist(),
      ),
    ).toBe(true);
    expect((await gql("{ me { name } }")).body.data).toEqual({ me: { name: "browser" } });

    refreshes.count = 0;
    now += 61_000; // the access token has expired on the server
    const after = await gql("{ me { name displayName } }");
    expect(after.status).toBe(200);
    expect(after.body.data).toEqual({ me: { name: "browser", displayName: "browser" } });
    expect(refreshes.count).toBe(1);

    expect((await gql('mutation { rename(displayName: "Browsy") { displayName } }')).status).toBe(200);
    const payload = await page.evaluate(() =>
      (
        window as unknown as { supertokensSession: { getAccessTokenPayloadSecurely(): Promise<Record<string, unknown>> } }
      ).supertokensSession.getAccessTokenPayloadSecurely(),
    );
    expect(payload).toMatchObject({ displayName: "Browsy" });

    expect((await gql("mutation { signOut }")).body.data).toEqual({ signOut: true });
    expect(
      await page.evaluate(() =>
        (window as unknown as { supertokensSession: { doesSessionExist(): Promise<boolean> } }).supertokensSession.doesSessionExist(),
      ),
    ).toBe(false);
    const anonymous = await gql("{ hello me { name } }");
    expect(anonymous.status).toBe(401);
  });
});
