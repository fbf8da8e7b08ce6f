// Claims and authorisation over real tRPC on real Postgres (PGlite without DATABASE_URL): roles
// allowed and denied, re-fetch at refresh after maxAgeSeconds (injected clock), refreshClaim,
// freshSession across a refresh, a fetcher outage (500), forged claim values (401), 0 queries per check.

import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { initTRPC } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { base64url } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveFetch } from "../../examples/trpc/serve.js";
import { createSessionContext, requireSession, sessionErrorFormatter, sessionResponseMeta } from "../../src/adapters/trpc/index.js";
import { claim, createSessions, freshSession } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { jarFetch, listen } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

async function setup() {
  const clock = testClock();
  const roleTable = new Map<string, string[]>([
    ["alice", ["admin"]],
    ["bob", []],
  ]);
  const fetches: string[] = [];
  let outage = false;
  const roles = claim<string[]>("st-role", {
    fetch: async (userId) => {
      fetches.push(userId);
      if (outage) throw new Error("roles service down");
      return roleTable.get(userId) ?? [];
    },
    maxAgeSeconds: 300,
  });
  const sessions = createSessions<{ name: string }>({
    store: drizzleStore(db.db),
    cookies: { secure: false },
    accessTokenTtl: 3600,
    now: clock.now,
    claims: [roles],
  });
  const createContext = createSessionContext(sessions);
  const t = initTRPC.context<typeof createContext>().create({ errorFormatter: sessionErrorFormatter });
  const protectedProcedure = t.procedure.use(requireSession());
  const adminProcedure = protectedProcedure.use(requireSession({ claims: [roles.includes("admin")] }));
  const router = t.router({
    signIn: t.procedure
      .input((v) => v as string)
      .mutation(async ({ ctx, input }) => {
        await ctx.createNewSession({ userId: input, jwtPayload: { name: input } });
        return "ok";
      }),
    me: protectedProcedure.query(({ ctx }) => ({ payload: ctx.session.getJWTPayload(), roles: ctx.session.getClaim(roles) ?? null })),
    admin: adminProcedure.query(({ ctx }) => `hello admin ${ctx.session.getUserId()}`),
    direct: t.procedure.use(requireSession({ claims: [roles.includes("admin")] })).query(() => "direct"),
    fresh: t.procedure.use(requireSession({ claims: [freshSession(600)] })).mutation(() => "fresh"),
    reload: protectedProcedure.mutation(async ({ ctx }) => ctx.session.refreshClaim(roles)),
    hello: t.procedure.query(() => "hi"),
  });
  const handler = (request: Request) =>
    sessions.handle(request).then(
      (own) =>
        own ??
        fetchRequestHandler({
          endpoint: "/trpc",
          req: request,
          router,
          createContext,
          responseMeta: sessionResponseMeta,
        }),
    );
  const server = await listen(serveFetch(handler, () => {}));
  const jar = new CookieJar(clock.now);
  const fetchWithJar = jarFetch(jar);
  const client = createTRPCClient<typeof router>({
    links: [
      httpBatchLink({
        url: `${server.url}/trpc`,
        fetch: (url, init) => fetchWithJar(url, { ...init, headers: { ...init?.headers, rid: "anti-csrf" } }),
      }),
    ],
  });
  const refresh = () => fetchWithJar(`${server.url}/auth/session/refresh`, { method: "POST", headers: { rid: "session" } });
  return {
    clock,
    roleTable,
    fetches,
    setOutage: (v: boolean) => {
      outage = v;
    },
    sessions,
    client,
    jar,
    server,
    refresh,
    fetchWithJar,
    close: async () => {
      await server.close();
      await sessions.close();
    },
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;
const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    if (error instanceof TRPCClientError) return error as unknown as { data: Record<string, unknown> };
    throw error;
  }
  throw new Error("expected the call to fail");
};

describe("claims over tRPC", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });
  afterAll(() => s.close());

  it("fetches claims at sign-in, keeps them out of getJWTPayload, lets an admin in and keeps others out with 403", async () => {
    await s.client.signIn.mutate("alice");
    expect(s.fetches).toEqual(["alice"]);
    expect(await s.client.me.query()).toEqual({ payload: { name: "alice" }, roles: ["admin"] });
    expect(await s.client.admin.query()).toBe("hello admin alice");
    expect(await s.client.direct.query()).toBe("direct");
    // The value travels in the token as SuperTokens lays it out, also in front-token.
    const [, body] = (s.jar.get("sAccessToken") as string).split(".");
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(body as string)));
    expect(payload["st-role"]).toEqual({ v: ["admin"], t: s.clock.now() });

    await s.client.signIn.mutate("bob");
    const error = await errorOf(s.client.admin.query());
    expect(error.data.httpStatus).toBe(403);
    expect(error.data.code).toBe("FORBIDDEN");
    expect(error.data.sessionCode).toBe("INVALID_CLAIM");
    expect(error.data.claimValidationErrors).toEqual([
      { id: "st-role", reason: { message: "wrong value", expectedToInclude: "admin", actualValue: [] } },
    ]);
    expect((await errorOf(s.client.direct.query())).data.httpStatus).toBe(403);
  });

  it("checks claims with 0 queries and never clears cookies on a 403", async () => {
    await s.client.signIn.mutate("bob");
    db.queries.reset();
    const before = s.jar.get("sAccessToken");
    const response = await s.fetchWithJar(`${s.server.url}/trpc/admin`, { headers: { rid: "anti-csrf" } });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("front-token")).toBeNull();
    expect(s.jar.get("sAccessToken")).toBe(before);
    expect(db.queries.count).toBe(0);
  });

  it("a batch mixing a 403 and a 200 answers 403 with both results; a 401 in it wins", async () => {
    await s.client.signIn.mutate("bob");
    const response = await s.fetchWithJar(`${s.server.url}/trpc/hello,admin?batch=1&input=${encodeURIComponent("{}")}`, {
      headers: { rid: "anti-csrf" },
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as [{ result?: unknown }, { error?: { data: { sessionCode: string } } }];
    expect(body[0].result).toEqual({ data: "hi" });
    expect(body[1].error?.data.sessionCode).toBe("INVALID_CLAIM");
    s.jar.set("sAccessToken", "garbage");
    const mixed = await s.fetchWithJar(`${s.server.url}/trpc/admin,me?batch=1&input=${encodeURIComponent("{}")}`, {
      headers: { rid: "anti-csrf" },
    });
    expect(mixed.status).toBe(401);
  });

  it("re-fetches at a refresh only once the value is older than maxAgeSeconds", async () => {
    s.roleTable.set("carol", []);
    await s.client.signIn.mutate("carol");
    s.fetches.length = 0;
    s.roleTable.set("carol", ["admin"]);
    s.clock.advance(100_000);
    expect((await s.refresh()).status).toBe(200);
    expect(s.fetches).toEqual([]); // 100 s old: kept
    expect((await errorOf(s.client.admin.query())).data.httpStatus).toBe(403);
    s.clock.advance(201_000);
    expect((await s.refresh()).status).toBe(200);
    expect(s.fetches).toEqual(["carol"]); // 301 s old: fetched again
    expect(await s.client.admin.query()).toBe("hello admin carol");
    // The re-fetched value is kept with the session: the next refresh does not fetch again.
    s.clock.advance(10_000);
    expect((await s.refresh()).status).toBe(200);
    expect(s.fetches).toEqual(["carol"]);
  });

  it("refreshClaim fetches now and issues a new access token on the response", async () => {
    s.roleTable.set("dave", []);
    await s.client.signIn.mutate("dave");
    s.roleTable.set("dave", ["admin"]);
    expect(await s.client.reload.mutate()).toEqual(["admin"]);
    expect(await s.client.admin.query()).toBe("hello admin dave");
  });

  it("refreshClaimsForUser without notify: picked up at the session's next refresh", async () => {
    s.roleTable.set("erin", []);
    await s.client.signIn.mutate("erin");
    s.roleTable.set("erin", ["admin"]);
    expect(await s.sessions.refreshClaimsForUser("erin")).toHaveLength(1);
    expect((await errorOf(s.client.admin.query())).data.httpStatus).toBe(403);
    s.fetches.length = 0;
    expect((await s.refresh()).status).toBe(200);
    expect(s.fetches).toEqual(["erin"]);
    expect(await s.client.admin.query()).toBe("hello admin erin");
  });

  it("freshSession passes right after sign-in, survives a refresh by its sign-in time, fails later", async () => {
    await s.client.signIn.mutate("frank");
    expect(await s.client.fresh.mutate()).toBe("fresh");
    s.clock.advance(300_000);
    expect((await s.refresh()).status).toBe(200);
    expect(await s.client.fresh.mutate()).toBe("fresh");
    s.clock.advance(301_000);
    expect((await s.refresh()).status).toBe(200);
    const error = await errorOf(s.client.fresh.mutate());
    expect(error.data.httpStatus).toBe(403);
    expect(error.data.claimValidationErrors).toEqual([
      { id: "freshSession", reason: { message: "expired", ageInSeconds: 601, maxAgeInSeconds: 600 } },
    ]);
    await s.client.signIn.mutate("frank");
    expect(await s.client.fresh.mutate()).toBe("fresh");
  });

  it("a failing fetch is a 500 at sign-in and at refresh, never a 401 or 403", async () => {
    s.setOutage(true);
    const error = await errorOf(s.client.signIn.mutate("gina"));
    expect(error.data.httpStatus).toBe(500);
    s.setOutage(false);
    await s.client.signIn.mutate("gina");
    s.clock.advance(301_000);
    s.setOutage(true);
    const refreshed = await s.refresh();
    expect(refreshed.status).toBe(500);
    expect(refreshed.headers.getSetCookie()).toEqual([]);
    s.setOutage(false);
    expect((await s.refresh()).status).toBe(200);
  });

  it("a forged claim value in the cookie is a 401, never a grant", async () => {
    await s.client.signIn.mutate("bob");
    const [header, body, signature] = (s.jar.get("sAccessToken") as string).split(".") as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(body)));
    claims["st-role"] = { v: ["admin"], t: s.clock.now() };
    s.jar.set("sAccessToken", `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`);
    const error = await errorOf(s.client.admin.query());
    expect(error.data.httpStatus).toBe(401);
    expect(error.data.sessionCode).toBe("TRY_REFRESH_TOKEN");
  });

  it("refuses a payload that shadows a claim", async () => {
    await expect(
      s.sessions.createNewSession({ userId: "x", jwtPayload: { "st-role": ["admin"] } as never }, new Headers()),
    ).rejects.toThrow(TypeError);
  });
});
