// Anti-CSRF through tRPC, per mode: mutations (and any non-GET request) are checked, queries over
// GET are not; public mutations never get a session that failed the check; the policy is
// configurable per context and per procedure; the client link sends what each mode needs.

import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { initTRPC } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type SessionContext,
  type SessionContextOptions,
  createSessionContext,
  requireSession,
  sessionErrorFormatter,
  sessionResponseMeta,
} from "../../src/adapters/trpc/index.js";
import { sessionRefreshLink } from "../../src/adapters/trpc/client.js";
import { type AntiCsrfMode, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { jarFetch, listen, memoryStorage } from "./harness.js";
import { serveFetch } from "../../examples/trpc/serve.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const t = initTRPC.context<SessionContext>().create({ errorFormatter: sessionErrorFormatter });
/** Side effects of the public `bump` mutation, to see whether a refused batch ran anything. */
let bumps = 0;
const protectedProcedure = t.procedure.use(requireSession());
const router = t.router({
  whoQ: t.procedure.query(({ ctx }) => ctx.session?.getUserId() ?? null),
  whoM: t.procedure.mutation(({ ctx }) => ctx.session?.getUserId() ?? null),
  meQ: protectedProcedure.query(({ ctx }) => ctx.session.getUserId()),
  meM: protectedProcedure.mutation(({ ctx }) => ctx.session.getUserId()),
  checkedQ: t.procedure.use(requireSession({ antiCsrfCheck: true })).query(({ ctx }) => ctx.session.getUserId()),
  uncheckedM: t.procedure.use(requireSession({ antiCsrfCheck: false })).mutation(({ ctx }) => ctx.session.getUserId()),
  bump: t.procedure.mutation(() => ++bumps),
  signIn: t.procedure.input(z.string()).mutation(async ({ ctx, input }) => (await ctx.createNewSession({ userId: input })).getHandle()),
});

let now = Date.parse("2026-03-01T10:00:00Z");

async function serve(antiCsrf: AntiCsrfMode, contextOptions?: SessionContextOptions) {
  const sessions = createSessions({ store: drizzleStore(db.db), antiCsrf, accessTokenTtl: 60, cookies: { secure: false }, now: () => now });
  const createContext = createSessionContext(sessions, contextOptions);
  const server = await listen(
    serveFetch(async (req) => {
      const own = await sessions.handle(req);
      if (own) return own;
      return fetchRequestHandler({
        endpoint: "/trpc",
        req,
        router,
        createContext,
        allowMethodOverride: true,
        responseMeta: sessionResponseMeta,
      });
    }),
  );
  return { ...server, sessions };
}

/** Raw tRPC-over-HTTP calls with a cookie jar and exactly the headers a test gives. */
function rawCaller(url: string) {
  const jar = new CookieJar(() => now);
  const send = jarFetch(jar);
  const call = async (path: string, method: "GET" | "POST", headers: Record<string, string> = {}, input?: unknown) => {
    const res =
      method === "GET"
        ? await send(`${url}/trpc/${path}`, { headers })
        : await send(`${url}/trpc/${path}`, {
            method,
            headers: { "content-type": "application/json", ...headers },
            body: input === undefined ? undefined : JSON.stringify(input),
          });
    const body = (await res.json()) as { result?: { data: unknown }; error?: { data: { sessionCode?: string } } };
    return { status: res.status, data: body.result?.data, sessionCode: body.error?.data.sessionCode, headers: res.headers };
  };
  return { jar, call };
}

describe("anti-CSRF via-custom-header (the default)", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve("via-custom-header");
  });
  afterAll(() => server.close());

  it("checks mutations and non-GET requests, not queries over GET", async () => {
    const { call } = rawCaller(server.url);
    expect((await call("signIn", "POST", { rid: "anti-csrf" }, "csrf-u1")).status).toBe(200);

    expect(await call("meM", "POST")).toMatchObject({ status: 401, sessionCode: "TRY_REFRESH_TOKEN" });
    expect(await call("meM", "POST", { rid: "anti-csrf" })).toMatchObject({ status: 200, data: "csrf-u1" });
    expect(await call("meQ", "GET")).toMatchObject({ status: 200, data: "csrf-u1" });
    // A query sent with POST (method override) is checked like a mutation.
    expect(await call("meQ", "POST")).toMatchObject({ status: 401, sessionCode: "TRY_REFRESH_TOKEN" });
  });

  it("never hands a session that failed the check to a public mutation", async () => {
    const { call } = rawCaller(server.url);
    await call("signIn", "POST", { rid: "x" }, "csrf-u2");
    expect(await call("whoM", "POST")).toMatchObject({ status: 200, data: null });
    expect(await call("whoM", "POST", { rid: "x" })).toMatchObject({ status: 200, data: "csrf-u2" });
    expect(await call("whoQ", "GET")).toMatchObject({ status: 200, data: "csrf-u2" });
  });

  it("refuses to start a session without the custom header (login CSRF from a cross-site form)", async () => {
    const { call, jar } = rawCaller(server.url);
    expect(await call("signIn", "POST", {}, "planted")).toMatchObject({ status: 401, sessionCode: "UNAUTHORISED" });
    expect(jar.get("sAccessToken")).toBeUndefined();
    expect(await call("signIn", "POST", { rid: "anti-csrf" }, "genuine")).toMatchObject({ status: 200 });
  });

  it("lets a procedure force the check on, or off", async () => {
    const { call } = rawCaller(server.url);
    await call("signIn", "POST", { rid: "x" }, "csrf-u3");
    expect(await call("checkedQ", "GET")).toMatchObject({ status: 401, sessionCode: "TRY_REFRESH_TOKEN" });
    expect(await call("checkedQ", "GET", { rid: "x" })).toMatchObject({ status: 200, data: "csrf-u3" });
    expect(await call("uncheckedM", "POST")).toMatchObject({ status: 200, data: "csrf-u3" });
  });
});

describe("anti-CSRF via-token", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve("via-token");
  });
  afterAll(() => server.close());

  it("sends the token with the sign-in response and requires it back on mutations", async () => {
    const { call } = rawCaller(server.url);
    const signIn = await call("signIn", "POST", { rid: "x" }, "tok-u1");
    const token = signIn.headers.get("anti-csrf");
    expect(token).toBeTruthy();
    expect(signIn.headers.get("access-control-expose-headers")).toContain("anti-csrf");
    expect(await call("meM", "POST", { rid: "x" })).toMatchObject({ status: 401, sessionCode: "TRY_REFRESH_TOKEN" });
    expect(await call("meM", "POST", { "anti-csrf": `${token}x` })).toMatchObject({ status: 401, sessionCode: "TRY_REFRESH_TOKEN" });
    expect(await call("meM", "POST", { "anti-csrf": token ?? "" })).toMatchObject({ status: 200, data: "tok-u1" });
    expect(await call("meQ", "GET")).toMatchObject({ status: 200, data: "tok-u1" });
  });

  it("works through sessionRefreshLink: the token is kept, sent on calls and on refresh, and survives a reload", async () => {
    const jar = new CookieJar(() => now);
    const storage = memoryStorage();
    const makeClient = () => {
      const link = sessionRefreshLink<typeof router>({ baseUrl: `${server.url}/auth`, fetch: jarFetch(jar), tokenStorage: storage });
      return createTRPCClient<typeof router>({ links: [link, httpBatchLink({ url: `${server.url}/trpc`, fetch: link.fetch })] });
    };
    const client = makeClient();
    await client.signIn.mutate("tok-u2");
    expect(storage.value).toBeTruthy();
    expect(await client.meM.mutate()).toBe("tok-u2");
    now += 61_000;
    expect(await client.meM.mutate()).toBe("tok-u2"); // refreshed (needs the token too), then retried
    const reloaded = makeClient(); // same storage, as localStorage after a page reload
    expect(await reloaded.meM.mutate()).toBe("tok-u2");
  });
});

describe("anti-CSRF off", () => {
  it('mode "none" checks nothing', async () => {
    const server = await serve("none");
    try {
      const { call } = rawCaller(server.url);
      await call("signIn", "POST", {}, "none-u1");
      expect(await call("meM", "POST")).toMatchObject({ status: 200, data: "none-u1" });
      expect(await call("whoM", "POST")).toMatchObject({ status: 200, data: "none-u1" });
    } finally {
      await server.close();
    }
  });

  it("createSessionContext can switch the check off, on for every call, or decide per call type", async () => {
    const off = await serve("via-custom-header", { antiCsrfCheck: false });
    const mutationsOnly = await serve("via-custom-header", { antiCsrfCheck: ({ type }) => type === "mutation" });
    const always = await serve("via-custom-header", { antiCsrfCheck: true });
    try {
      const c = rawCaller(always.url);
      await c.call("signIn", "POST", { rid: "x" }, "off-u3");
      expect(await c.call("meQ", "GET")).toMatchObject({ status: 401, sessionCode: "TRY_REFRESH_TOKEN" });
      expect(await c.call("whoQ", "GET")).toMatchObject({ status: 200, data: null });
      expect(await c.call("meQ", "GET", { rid: "x" })).toMatchObject({ status: 200, data: "off-u3" });
      const a = rawCaller(off.url);
      await a.call("signIn", "POST", {}, "off-u1");
      expect(await a.call("meM", "POST")).toMatchObject({ status: 200, data: "off-u1" });
      const b = rawCaller(mutationsOnly.url);
      await b.call("signIn", "POST", { rid: "x" }, "off-u2");
      expect(await b.call("meQ", "POST")).toMatchObject({ status: 200, data: "off-u2" });
      expect(await b.call("meM", "POST")).toMatchObject({ status: 401, sessionCode: "TRY_REFRESH_TOKEN" });
    } finally {
      await off.close();
      await mutationsOnly.close();
      await always.close();
    }
  });
});

describe("requireSession without createSessionContext", () => {
  it("fails with a clear 500 instead of treating everyone as signed out", async () => {
    const caller = t.createCallerFactory(router)({ session: undefined } as unknown as SessionContext);
    await expect(caller.meQ()).rejects.toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
      message: expect.stringContaining("needs a context made by createSessionContext()"),
    });
  });
});

describe("batches with a protected call that cannot run", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve("via-custom-header");
  });
  afterAll(() => server.close());

  type Item = { result?: { data: unknown }; error?: { data: { sessionCode?: string } } };
  async function batch(jar: CookieJar, paths: string[], method: "GET" | "POST", headers: Record<string, string> = { rid: "x" }) {
    const send = jarFetch(jar);
    const url = `${server.url}/trpc/${paths.join(",")}?batch=1`;
    const res =
      method === "GET"
        ? await send(`${url}&input=${encodeURIComponent("{}")}`, { headers })
        : await send(url, { method, headers: { "content-type": "application/json", ...headers }, body: "{}" });
    return { status: res.status, items: (await res.json()) as Item[] };
  }

  it("refuses a mutation batch whole before anything runs, so a whole-request retry repeats nothing", async () => {
    const { jar, call } = rawCaller(server.url);
    await call("signIn", "POST", { rid: "x" }, "batch-u1");
    now += 61_000; // the access token expires
    const before = bumps;
    const refused = await batch(jar, ["bump", "meM"], "POST");
    expect(refused.status).toBe(401);
    expect(refused.items.map((i) => i.error?.data.sessionCode)).toEqual(["TRY_REFRESH_TOKEN", "TRY_REFRESH_TOKEN"]);
    expect(bumps).toBe(before);
    // Public-only mutation batches still run with an expired token.
    const publicOnly = await batch(jar, ["bump", "bump"], "POST");
    expect(publicOnly.status).toBe(200);
    expect(bumps).toBe(before + 2);
    // Queries are not refused: the public one answers, the batch says 401.
    const queries = await batch(jar, ["whoQ", "meQ"], "GET");
    expect(queries.status).toBe(401);
    expect(queries.items[0]?.result?.data).toBeNull();
    expect(queries.items[1]?.error?.data.sessionCode).toBe("TRY_REFRESH_TOKEN");
  });

  it("refuses for a failed anti-CSRF check too, unless the protected procedure opted out", async () => {
    const { jar, call } = rawCaller(server.url);
    await call("signIn", "POST", { rid: "x" }, "batch-u2");
    const before = bumps;
    expect((await batch(jar, ["bump", "meM"], "POST", {})).status).toBe(401);
    expect(bumps).toBe(before);
    const optedOut = await batch(jar, ["bump", "uncheckedM"], "POST", {});
    expect(optedOut.status).toBe(200);
    expect(optedOut.items[1]?.result?.data).toBe("batch-u2");
    expect(bumps).toBe(before + 1);
  });

  it("through sessionRefreshLink: one refresh, then each mutation runs exactly once", async () => {
    const jar = new CookieJar(() => now);
    const link = sessionRefreshLink<typeof router>({ baseUrl: `${server.url}/auth`, fetch: jarFetch(jar), tokenStorage: memoryStorage() });
    const client = createTRPCClient<typeof router>({ links: [link, httpBatchLink({ url: `${server.url}/trpc`, fetch: link.fetch })] });
    await client.signIn.mutate("batch-u3");
    now += 61_000;
    const before = bumps;
    const [bumped, me] = await Promise.all([client.bump.mutate(), client.meM.mutate()]);
    expect(me).toBe("batch-u3");
    expect(bumped).toBe(before + 1);
    expect(bumps).toBe(before + 1);
  });
});
