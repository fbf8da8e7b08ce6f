// @auth on fields, object types, interface fields and union members, with and without a
// session, over node:http and yoga.fetch; partial data and the status rule for mixed operations.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { type Harness, errorAt, startHarness, transports } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

describe.each(transports)("@auth over %s", (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db, { transport });
  });
  afterAll(() => h.close());

  it("answers public fields without a session", async () => {
    const reply = await h.client().gql("{ hello }");
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ data: { hello: "world" } });
  });

  it("refuses an @auth field without a session: 401 UNAUTHENTICATED / UNAUTHORISED", async () => {
    const reply = await h.client().gql("{ me }");
    expect(reply.status).toBe(401);
    expect(reply.body.data).toBeNull();
    // Yoga turns extensions.http into the response status and leaves it out of the body.
    expect(errorAt(reply, "me")).toEqual({
      message: "unauthorised",
      locations: [{ line: 1, column: 3 }],
      path: ["me"],
      extensions: { code: "UNAUTHENTICATED", sessionCode: "UNAUTHORISED" },
    });
    // No session, nothing to clear.
    expect(reply.response.headers.getSetCookie()).toEqual([]);
    expect(reply.response.headers.get("front-token")).toBeNull();
  });

  it("signs in through a mutation: cookies and front-token leave with the response", async () => {
    const client = h.client();
    const reply = await client.gql(`mutation { signIn(userId: "u-${transport}-1", payload: "{\\"role\\":\\"admin\\"}") }`);
    expect(reply.status).toBe(200);
    const cookies = reply.response.headers.getSetCookie();
    expect(cookies.map((c) => c.split("=")[0]).sort()).toEqual(["sAccessToken", "sRefreshToken"]);
    expect(cookies.every((c) => /HttpOnly/i.test(c))).toBe(true);
    expect(client.front()).toMatchObject({ uid: `u-${transport}-1`, up: { role: "admin" } });
    const me = await client.gql("{ me payload }");
    expect(me.status).toBe(200);
    expect(me.body.data).toEqual({ me: `u-${transport}-1`, payload: JSON.stringify({ role: "admin" }) });
  });

  it("makes a session created in a mutation the session of that operation", async () => {
    const client = h.client();
    const reply = await client.gql(`mutation { signInAndWhoAmI(userId: "u-${transport}-who") }`);
    expect(reply.body.data).toEqual({ signInAndWhoAmI: `u-${transport}-who` });
  });

  it("protects every field of an @auth type, however it is reached", async () => {
    const anonymous = h.client();
    const queries = {
      direct: "{ secret { id value } }",
      interface: "{ nodes { id ... on Article { title } ... on Secret { value } } }",
      union: "{ search { ... on Article { title } ... on Secret { id value } } }",
      fragment: "query { secret { ...S } } fragment S on Secret { value }",
    };
    for (const [how, query] of Object.entries(queries)) {
      const reply = await anonymous.gql(query);
      expect(reply.status, how).toBe(401);
      expect(JSON.stringify(reply.body), how).not.toContain("the secret");
      expect(
        reply.body.errors?.every((e) => e.extensions?.code === "UNAUTHENTICATED"),
        how,
      ).toBe(true);
    }
    // Only __typename is readable: it is not a field of the type.
    const typename = await anonymous.gql("{ nodes { __typename } }");
    expect(typename.body.data).toEqual({ nodes: [{ __typename: "Article" }, { __typename: "Secret" }] });

    const client = h.client();
    await client.gql(`mutation { signIn(userId: "u-${transport}-2") }`);
    for (const [how, query] of Object.entries(queries)) {
      const reply = await client.gql(query);
      expect(reply.status, how).toBe(200);
      expect(reply.body.errors, how).toBeUndefined();
      expect(JSON.stringify(reply.body), how).toContain("the secret");
    }
  });

  it("protects an implementing type's field when the interface field has @auth", async () => {
    const reply = await h.client().gql("{ account { name ... on Member { email } } }");
    expect(reply.status).toBe(401);
    expect(reply.body.data).toEqual({ account: { name: "Ada", email: null } });
    expect(errorAt(reply, "account.email")?.extensions?.sessionCode).toBe("UNAUTHORISED");
  });

  it("resolves public fields next to a refused one (partial data), and answers 401", async () => {
    const reply = await h.client().gql("{ hello ask(n: 7) me }");
    // Rule: any session failure makes the response 401 (the SDK refreshes on 401 and retries;
    // if there is no session the refresh fails and the app reads the partial data).
    expect(reply.status).toBe(401);
    expect(reply.body.data).toBeNull(); // me is non-null, so null bubbles to data
    const nullable = await h.client().gql("{ hello ask(n: 7) secret { value } }");
    expect(nullable.status).toBe(401);
    expect(nullable.body.data).toEqual({ hello: "world", ask: 7, secret: null });
    expect(errorAt(nullable, "secret.value")?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("answers queries over GET, with and without a session", async () => {
    const client = h.client();
    expect((await client.gql("{ me }", undefined, { get: true })).status).toBe(401);
    await client.gql(`mutation { signIn(userId: "u-${transport}-get") }`);
    const reply = await client.gql("{ me }", undefined, { get: true });
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ me: `u-${transport}-get` });
  });
});

describe("cross-origin through Yoga's cors option", () => {
  let h: Harness;
  const app = "https://app.example";
  beforeAll(async () => {
    h = await startHarness(db, {
      transport: "http",
      yoga: { cors: { origin: [app], credentials: true, exposedHeaders: ["x-request-id"] } },
    });
  });
  afterAll(() => h.close());

  it("exposes front-token and anti-csrf next to the app's own exposed headers", async () => {
    const client = h.client();
    const reply = await client.gql('mutation { signIn(userId: "u-cors") }', undefined, { headers: { origin: app } });
    expect(reply.status).toBe(200);
    expect(reply.response.headers.get("access-control-allow-origin")).toBe(app);
    expect(reply.response.headers.get("access-control-allow-credentials")).toBe("true");
    const exposed = (reply.response.headers.get("access-control-expose-headers") ?? "").split(",").map((s) => s.trim());
    expect(exposed).toEqual(expect.arrayContaining(["x-request-id", "front-token", "anti-csrf"]));
  });

  it("answers the SDK's preflight for the refresh route, and the refresh itself", async () => {
    const preflight = await fetch(`${h.origin}/auth/session/refresh`, {
      method: "OPTIONS",
      headers: { origin: app, "access-control-request-method": "POST", "access-control-request-headers": "rid,fdi-version,st-auth-mode" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(app);
    const client = h.client();
    await client.gql('mutation { signIn(userId: "u-cors-2") }', undefined, { headers: { origin: app } });
    const refresh = await client.refresh({ headers: { origin: app } });
    expect(refresh.status).toBe(200);
    expect(refresh.headers.get("access-control-allow-origin")).toBe(app);
    expect(refresh.headers.get("front-token")).not.toBeNull();
  });
});

describe("context derived from the session", () => {
  it("is available to a useExtendContext placed after useSessions, not to Yoga's context option", async () => {
    const { createSchema, createYoga, useExtendContext } = await import("graphql-yoga");
    const { createSessions } = await import("../../src/index.js");
    const { drizzleStore } = await import("../../src/storage/index.js");
    const { useSessions } = await import("../../src/adapters/graphql/index.js");
    const sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false } });
    type Ctx = { viewer: string; early: string; createNewSession(input: { userId: string }): Promise<unknown> };
    const yoga = createYoga({
      logging: false,
      schema: createSchema<Ctx>({
        typeDefs: "type Query { viewer: String!  early: String! }  type Mutation { signIn: Boolean! }",
        resolvers: {
          Query: { viewer: (_: unknown, __: unknown, ctx: Ctx) => ctx.viewer, early: (_: unknown, __: unknown, ctx: Ctx) => ctx.early },
          Mutation: { signIn: async (_: unknown, __: unknown, ctx: Ctx) => Boolean(await ctx.createNewSession({ userId: "derived" })) },
        },
      }),
      context: (initial) => ({ early: "session" in initial ? "seen" : "not yet" }),
      plugins: [
        useSessions(sessions),
        useExtendContext((ctx: { session?: { getUserId(): string } }) => ({ viewer: ctx.session?.getUserId() ?? "anonymous" })),
      ],
    });
    const { GraphqlClient } = await import("./harness.js");
    const client = new GraphqlClient(async (request) => {
      const reply = await yoga.fetch(request);
      const headers = new Headers();
      for (const line of reply.headers.getSetCookie()) headers.append("set-cookie", line);
      return new Response(reply.body, { status: reply.status, headers });
    });
    expect((await client.gql("{ viewer early }")).body.data).toEqual({ viewer: "anonymous", early: "not yet" });
    await client.gql("mutation { signIn }");
    expect((await client.gql("{ viewer }")).body.data).toEqual({ viewer: "derived" });
    await sessions.close();
  });
});
