// The Hono example (examples/hono/app.ts) served by @hono/node-server on a real port: tRPC
// through @hono/trpc-server with `createContext: createSessionContext(sessions)` as it is, Yoga
// mounted on a Hono route, sessionkit's routes through `sessions.handle` in a Hono middleware.
// A real @trpc/client with sessionRefreshLink and a cookie jar; the clock is injected.

import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import type { trpcServer } from "@hono/trpc-server";
import { createTRPCClient, httpLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { type HonoAppRouter, createHonoApp } from "../../examples/hono/app.js";
import { Users, ensureUsersTable } from "../../examples/shared/users.js";
import { sessionRefreshLink } from "../../src/adapters/trpc/client.js";
import type { SessionContext, createSessionContext } from "../../src/adapters/trpc/index.js";
import { type Sessions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { jarFetch, rejection, uniqueName } from "../trpc/harness.js";

const PASSWORD = "correct horse battery";

describe("types", () => {
  it("createSessionContext(sessions) is what @hono/trpc-server's createContext accepts", () => {
    type HonoCreateContext = NonNullable<Parameters<typeof trpcServer>[0]["createContext"]>;
    expectTypeOf<ReturnType<typeof createSessionContext>>().toExtend<HonoCreateContext>();
    expectTypeOf<SessionContext>().toExtend<Record<string, unknown>>();
  });
});

let db: TestDb;
let sessions: Sessions;
let server: ServerType;
let url: string;
let now = Date.parse("2026-03-01T10:00:00Z");
const clock = () => now;

beforeAll(async () => {
  db = await createTestDb();
  await ensureUsersTable(db.db);
  sessions = createSessions({
    store: drizzleStore(db.db),
    accessTokenTtl: 60,
    revocation: "check-database",
    cookies: { secure: false },
    now: clock,
  });
  const users = new Users(db.db);
  const app = createHonoApp(sessions, users);
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await sessions?.close();
  await db?.close();
});

function client() {
  const jar = new CookieJar(clock);
  let expired = 0;
  const link = sessionRefreshLink<HonoAppRouter>({
    baseUrl: `${url}/auth`,
    fetch: jarFetch(jar),
    onSessionExpired: () => {
      expired++;
    },
  });
  const trpc = createTRPCClient<HonoAppRouter>({ links: [link, httpLink({ url: `${url}/trpc`, fetch: link.fetch })] });
  return { trpc, jar, expired: () => expired };
}

async function signedUp() {
  const c = client();
  const name = uniqueName("hono");
  const { userId } = await c.trpc.signUp.mutate({ name, password: PASSWORD });
  return { ...c, name, userId };
}

async function graphql(jar: CookieJar, query: string, variables: Record<string, unknown> = {}) {
  const res = await jarFetch(jar)(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", rid: "anti-csrf" },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { data?: Record<string, unknown>; errors?: { extensions?: Record<string, unknown> }[] },
  };
}

describe("tRPC through @hono/trpc-server", () => {
  it("signs up, makes protected calls and modifies session data", async () => {
    const { trpc, name, userId } = await signedUp();
    expect(await trpc.me.query()).toEqual({ userId, name });
    expect(await trpc.hello.query()).toBe(`Hello, ${name}!`);
    expect(await trpc.addNote.mutate("one")).toEqual(["one"]);
    expect(await trpc.addNote.mutate("two")).toEqual(["one", "two"]);
  });

  it("refreshes through sessions.handle in a Hono middleware once the access token expires", async () => {
    const { trpc, jar, userId, expired } = await signedUp();
    const before = jar.header("/trpc");
    now += 61_000;
    expect((await trpc.me.query()).userId).toBe(userId);
    expect(jar.header("/trpc")).not.toBe(before);
    expect(expired()).toBe(0);
  });

  it("refuses a protected call without a session with 401 and its session code", async () => {
    const error = await rejection(client().trpc.me.query());
    expect(error.data?.httpStatus).toBe(401);
    expect(error.data?.sessionCode).toBe("UNAUTHORISED");
    const bad = await fetch(`${url}/trpc/me`, { headers: { cookie: "sAccessToken=garbage", rid: "anti-csrf" } });
    expect(bad.status).toBe(401);
  });

  it("signs out with a procedure and through POST /auth/signout", async () => {
    const first = await signedUp();
    await first.trpc.signOut.mutate();
    expect(first.jar.header("/trpc")).toBe("");
    expect((await rejection(first.trpc.me.query())).data?.httpStatus).toBe(401);

    const second = await signedUp();
    const res = await jarFetch(second.jar)(`${url}/auth/signout`, { method: "POST", headers: { rid: "session" } });
    expect(res.status).toBe(200);
    expect(second.jar.header("/trpc")).toBe("");
    expect(await sessions.getAllSessionHandlesForUser(second.userId)).toEqual([]);
  });

  it("serves the JWKS through the Hono middleware and leaves other /auth paths to the app", async () => {
    const jwks = await fetch(`${url}/auth/jwt/jwks.json`);
    expect(jwks.status).toBe(200);
    expect(((await jwks.json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    expect((await fetch(`${url}/auth/unknown`)).status).toBe(404);
  });
});

describe("GraphQL Yoga mounted in Hono", () => {
  it("signs in with a mutation, answers @auth fields, signs out", async () => {
    const { name, jar: tRPCJar } = await signedUp();
    const jar = new CookieJar(clock);
    const anonymous = await graphql(jar, "{ me }");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", sessionCode: "UNAUTHORISED" });

    const signIn = await graphql(jar, "mutation ($n: String!, $p: String!) { signIn(name: $n, password: $p) }", { n: name, p: PASSWORD });
    expect(signIn.body.data).toEqual({ signIn: true });
    expect(jar.header("/graphql")).toContain("sAccessToken=");
    expect(jar.header("/graphql")).not.toBe(tRPCJar.header("/trpc"));
    const me = await graphql(jar, "{ me hello notes }");
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ hello: "hello again", notes: [] });

    now += 61_000;
    const expiredCall = await graphql(jar, "{ me }");
    expect(expiredCall.status).toBe(401);
    expect(expiredCall.body.errors?.[0]?.extensions?.sessionCode).toBe("TRY_REFRESH_TOKEN");
    const refreshed = await jarFetch(jar)(`${url}/auth/session/refresh`, { method: "POST", headers: { rid: "session" } });
    expect(refreshed.status).toBe(200);
    expect((await graphql(jar, "{ me }")).status).toBe(200);

    expect((await graphql(jar, "mutation { signOut }")).body.data).toEqual({ signOut: true });
    expect((await graphql(jar, "{ me }")).status).toBe(401);
  });
});
