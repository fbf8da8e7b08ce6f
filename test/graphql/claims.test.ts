// @auth(requires: [...]) policies over real Yoga on real Postgres: allowed and denied roles (403
// FORBIDDEN / INVALID_CLAIM), partial data, no leak through aliases, fragments, unions or
// interfaces, unknown policy names refused when the schema is built, the old authDirective(name) form.

import { createSchema, createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import { claim, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const roleTable: Record<string, string[]> = { alice: ["admin"], bob: [] };
const roles = claim<string[]>("st-role", { fetch: (userId) => roleTable[userId] ?? [] });

const typeDefs = /* GraphQL */ `
  type Query {
    hello: String!
    secret: String! @auth(requires: ["admin"])
    me: String! @auth
    report: Report!
    anything: [Thing!]!
    node: Node!
  }
  type Report @auth(requires: ["admin"]) { total: Int! }
  type Open { name: String! }
  union Thing = Report | Open
  interface Node { id: ID! @auth(requires: ["admin"]) }
  type Item implements Node { id: ID! }
  type Mutation { signIn(user: String!): Boolean! }
`;

function build() {
  const sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false }, claims: [roles] });
  const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective({ policies: { admin: [roles.includes("admin")] } });
  const schema = authDirectiveTransformer(
    createSchema({
      typeDefs: [authDirectiveTypeDefs, typeDefs],
      resolvers: {
        Query: {
          hello: () => "hi",
          secret: () => "the secret",
          me: (_: unknown, __: unknown, ctx: { session: { getUserId(): string } }) => ctx.session.getUserId(),
          report: () => ({ total: 42 }),
          anything: () => [
            { __typename: "Report", total: 42 },
            { __typename: "Open", name: "open" },
          ],
          node: () => ({ id: "n1" }),
        },
        Thing: { __resolveType: (o: { __typename: string }) => o.__typename },
        Node: { __resolveType: () => "Item" },
        Mutation: {
          signIn: async (_: unknown, args: { user: string }, ctx: { createNewSession(i: { userId: string }): Promise<unknown> }) => {
            await ctx.createNewSession({ userId: args.user });
            return true;
          },
        },
      },
    }),
  );
  const yoga = createYoga({ schema, plugins: [useSessions(sessions)], logging: false });
  const jar = new CookieJar();
  const gql = async (query: string) => {
    const headers = new Headers({ "content-type": "application/json", rid: "anti-csrf" });
    const cookie = jar.header("/graphql");
    if (cookie) headers.set("cookie", cookie);
    const response = await yoga.fetch("http://localhost/graphql", { method: "POST", headers, body: JSON.stringify({ query }) });
    jar.store(response);
    // biome-ignore lint/suspicious/noExplicitAny: GraphQL response bodies are read loosely in assertions
    return { status: response.status, cookies: response.headers.getSetCookie(), body: (await response.json()) as Record<string, any> };
  };
  return { sessions, gql, jar };
}

describe("@auth(requires) over Yoga", () => {
  let app: ReturnType<typeof build>;
  beforeAll(() => {
    app = build();
  });
  afterAll(() => app.sessions.close());

  it("lets an admin through every path", async () => {
    await app.gql(`mutation { signIn(user: "alice") }`);
    const { status, body } = await app.gql(`{ secret report { total } anything { ... on Report { total } } node { id } me }`);
    expect(status).toBe(200);
    expect(body.data).toEqual({
      secret: "the secret",
      report: { total: 42 },
      anything: [{ total: 42 }, {}],
      node: { id: "n1" },
      me: "alice",
    });
  });

  it("refuses a signed-in non-admin with 403 FORBIDDEN, partial data, no cookie change", async () => {
    await app.gql(`mutation { signIn(user: "bob") }`);
    const { status, body, cookies } = await app.gql(`{ hello me s: secret }`);
    expect(status).toBe(403);
    expect(cookies).toEqual([]);
    expect(body.data).toBeNull(); // secret is non-null: the error propagates to the root
    const partial = await app.gql(`{ hello me }`);
    expect(partial.body.data).toEqual({ hello: "hi", me: "bob" });
    const [error] = body.errors;
    expect(error.extensions).toMatchObject({
      code: "FORBIDDEN",
      sessionCode: "INVALID_CLAIM",
      claimValidationErrors: [{ id: "st-role", reason: { message: "wrong value", expectedToInclude: "admin", actualValue: [] } }],
    });
    expect(error.path).toEqual(["s"]);
  });

  it("leaks nothing through aliases, fragments, unions or interfaces", async () => {
    await app.gql(`mutation { signIn(user: "bob") }`);
    const queries = [
      `{ a: report { t: total } }`,
      `fragment R on Report { total } { report { ...R } }`,
      `{ anything { ... on Report { total } ... on Open { name } } }`,
      `{ node { ... on Item { id } } }`,
      `{ node { id } }`,
    ];
    for (const query of queries) {
      const { status, body } = await app.gql(query);
      expect(status, query).toBe(403);
      expect(JSON.stringify(body.data ?? null), query).not.toContain("42");
      expect(JSON.stringify(body.data ?? null), query).not.toContain("n1");
      expect(body.errors[0].extensions.code, query).toBe("FORBIDDEN");
    }
  });

  it("without a session the same fields are 401, as before", async () => {
    const fresh = build();
    const { status, body } = await fresh.gql(`{ secret }`);
    expect(status).toBe(401);
    expect(body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    await fresh.sessions.close();
  });

  it("refuses an unknown policy name when the schema is built; keeps authDirective(name)", () => {
    const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective({ policies: { admin: [] } });
    expect(() =>
      authDirectiveTransformer(createSchema({ typeDefs: [authDirectiveTypeDefs, `type Query { x: String @auth(requires: ["admn"]) }`] })),
    ).toThrow(/requires: \["admn"\]\) on Query.x names no policy/);
    const old = authDirective("requiresLogin");
    expect(old.authDirectiveTypeDefs).toBe("directive @requiresLogin(requires: [String!]) on OBJECT | FIELD_DEFINITION");
    expect(() => authDirective({ policies: { admin: "x" as never } })).toThrow(TypeError);
  });
});
