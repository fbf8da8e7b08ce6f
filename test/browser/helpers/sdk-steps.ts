// What the SDK step suites share (sdk-scenarios.ts, cookie mode; sdk-header-scenarios.ts,
// header mode): the describe block with its server and browser contexts, the fixture every step
// gets, and the checks that read the same in both modes.

import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDb } from "../../helpers/db.js";
import { newContext } from "./chromium.js";
import type { Outcome } from "./sdk-client.js";
import { SdkPage, WireLog } from "./sdk-page.js";
import { ACCESS_TOKEN_TTL, type SdkMode, type SdkServer, type SdkServerOptions, startSdkServer } from "./sdk-server.js";

/** What every step gets: a context and a page of its own, on the block's server, and a user no other test uses. */
export interface StepFixture {
  /** Opens another context and page, in the given SDK mode (default: the block's). */
  open(mode?: SdkMode): Promise<{ context: BrowserContext; wire: WireLog; page: SdkPage }>;
  context: BrowserContext;
  wire: WireLog;
  page: SdkPage;
  server: SdkServer;
  /** A user id no other test uses. */
  user: string;
}

/** Registers `it(title)` when the block runs step `name`. */
export type StepFn<S extends string> = (name: S, title: string, body: (f: StepFixture) => Promise<void>) => void;

/**
 * Registers a describe block: one sessionkit server with these options, in the file's browser;
 * `register` declares the steps, of which those in `steps` run. Pages open in `mode`.
 */
export function describeSdkSteps<S extends string>(
  label: string,
  setting: Omit<SdkServerOptions, "db">,
  steps: readonly S[],
  env: { browser(): Browser; db(): TestDb },
  blockOptions: { mode: SdkMode; user: () => string },
  register: (step: StepFn<S>) => void,
): void {
  describe(label, () => {
    let server: SdkServer;
    const contexts: BrowserContext[] = [];
    beforeAll(async () => {
      server = await startSdkServer({ ...setting, db: env.db().db });
    });
    afterAll(async () => {
      await Promise.all(contexts.map((c) => c.close()));
      await server?.close();
    });

    async function open(mode: SdkMode = blockOptions.mode) {
      const context = await newContext(env.browser());
      contexts.push(context);
      const wire = new WireLog(context, server.apiOrigin);
      const page = await SdkPage.open(context, pageUrl(server, mode), wire);
      return { context, wire, page };
    }
    async function fixture(): Promise<StepFixture> {
      return { open, ...(await open()), server, user: blockOptions.user() };
    }
    register((name, title, body) => steps.includes(name) && it(title, async () => body(await fixture())));
  });
}

/** The page of the server in this SDK mode. */
export const pageUrl = (server: SdkServer, mode: SdkMode) => (mode === "header" ? `${server.pageUrl}?mode=header` : server.pageUrl);

/** The data of a call that must have worked. */
export const ok = (outcome: Outcome) => {
  if (!outcome.ok) throw new Error(`call failed: ${JSON.stringify(outcome)}`);
  return outcome.data as { userId: string; handle: string; payload: Record<string, unknown> };
};

/** The browser's session cookies (`sAccessToken`, `sRefreshToken`). */
export const sessionCookies = async (context: BrowserContext) =>
  (await context.cookies()).filter((c) => c.name === "sAccessToken" || c.name === "sRefreshToken");

/** Step 3: whoami, whoami with hello, and `me` in GraphQL, all as the signed-in user. */
export async function expectProtectedCalls(page: SdkPage, user: string, handle: string): Promise<void> {
  expect(ok(await page.whoami())).toMatchObject({ userId: user, handle });
  const [whoami, hello] = await page.call("whoamiAndHello");
  expect(ok(whoami!).userId).toBe(user);
  expect(hello).toEqual({ ok: true, data: { signedIn: true } });
  expect(await page.call("gql", "{ me { userId handle } }")).toEqual({
    status: 200,
    body: { data: { me: { userId: user, handle } } },
  });
}

/** Across origins: the browser sent preflights, and every one was answered 204. */
export function expectPreflightsAnswered(server: SdkServer): void {
  const preflights = server.served.filter((s) => s.method === "OPTIONS");
  expect(preflights.length).toBeGreaterThan(0);
  expect(preflights.every((s) => s.status === 204)).toBe(true);
}

/**
 * Step 4: the access token expires (wire log cleared), then five concurrent protected calls
 * share exactly one refresh and all succeed. Returns the refresh count from before the calls.
 */
export async function fiveCallsAfterExpiry({ page, wire, server, user }: StepFixture): Promise<number> {
  await server.advance((ACCESS_TOKEN_TTL + 1) * 1000);
  await wire.clear();
  const before = server.refreshes();
  const results = await page.page.evaluate(() => {
    const sk = (window as unknown as { sk: import("./sdk-client.js").PageApi }).sk;
    return Promise.all([sk.whoami(), sk.whoami(), sk.whoamiAndHello(), sk.gql("{ me { userId } }"), sk.gql("{ me { userId } }")]);
  });
  expect(server.refreshes() - before).toBe(1);
  const [a, b, [c, hello], d, e] = results;
  for (const call of [a, b, c]) expect(ok(call!).userId).toBe(user);
  expect(hello).toEqual({ ok: true, data: { signedIn: true } });
  for (const call of [d, e]) expect(call).toEqual({ status: 200, body: { data: { me: { userId: user } } } });
  return before;
}

/** Step 7: signed in with an expired access token, sign-out is 401 "try refresh token", one refresh, then the sign-out; the session is gone. */
export async function expectSignOutAfterExpiry({ page, server, user }: StepFixture): Promise<void> {
  const { handle } = ok(await page.call("signIn", `${user}-expired`));
  await server.advance((ACCESS_TOKEN_TTL + 1) * 1000);
  const from = server.served.length;
  await page.signOut();
  const calls = server.served.slice(from).filter((s) => s.method !== "OPTIONS");
  expect(calls.map((s) => `${s.method} ${s.path} ${s.status} ${s.body}`)).toEqual([
    'POST /auth/signout 401 {"message":"try refresh token"}',
    "POST /auth/session/refresh 200 {}",
    'POST /auth/signout 200 {"status":"OK"}',
  ]);
  expect(await server.sessions.getSessionInformation(handle)).toBeUndefined();
}

/** Step 7: a sign-in and a sign-out through GraphQL resolvers; the SDK sees the session come and go. */
export async function expectGraphqlSignInOut(page: SdkPage, user: string): Promise<void> {
  await page.call("gql", `mutation { signIn(userId: "${user}-gql") { userId } }`);
  expect(await page.exists()).toBe(true);
  expect(await page.call("gql", "mutation { signOut }")).toEqual({ status: 200, body: { data: { signOut: true } } });
  expect(await page.exists()).toBe(false);
}

/**
 * Step 8, two tabs of one session after expiry: with the SDK's cross-tab lock, then without it
 * (`refreshBoth`: both tabs send the same refresh token at once, resolving to their statuses).
 * Both keep the session and nothing is taken for theft.
 */
export async function expectTwoTabsRefresh(
  { page, server }: StepFixture,
  other: SdkPage,
  handle: string,
  start: number,
  refreshBoth: () => Promise<number[]>,
): Promise<void> {
  await server.advance((ACCESS_TOKEN_TTL + 1) * 1000);
  let before = server.refreshes();
  const [one, two] = await Promise.all([page.whoami(), other.whoami()]);
  expect([ok(one).handle, ok(two).handle]).toEqual([handle, handle]);
  // The SDK's cross-tab lock (browser-tabs-lock, on localStorage) usually lets one refresh
  // through and the other tab reuses it; tabs in two renderer processes can both get it,
  // and then the grace window keeps the session (seen now and then on 2 cores).
  expect(server.refreshes() - before).toBeGreaterThanOrEqual(1);
  expect(server.refreshes() - before).toBeLessThanOrEqual(2);

  // Without the lock: the grace window hands the loser the token the winner created, so the session survives.
  before = server.refreshes();
  expect(await refreshBoth()).toEqual([200, 200]);
  expect(server.refreshes() - before).toBe(2);
  expect(server.served.slice(start).filter((s) => s.body.includes("token theft"))).toEqual([]);
  await server.advance((ACCESS_TOKEN_TTL + 1) * 1000);
  for (const tab of [page, other]) expect(ok(await tab.whoami()).handle).toBe(handle);
  expect(await server.sessions.getSessionInformation(handle)).toBeDefined();
}
