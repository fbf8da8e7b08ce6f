// A schema that declares @auth but was never transformed must not serve: useSessions refuses
// it when Yoga is created (in 0.1 it answered 200 with the "protected" data to anyone).

import { createSchema, createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sessions, createSessions } from "../../src/index.js";
import { type SessionContext, authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
let sessions: Sessions;
beforeAll(async () => {
  db = await createTestDb();
  sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false } });
});
afterAll(async () => {
  await sessions.close();
  await db.close();
});

const resolvers = {
  Query: { me: () => "secret", hello: () => "hi", thing: () => ({ kind: "Thing", id: "1", hidden: "secret" }) },
  Node: { __resolveType: () => "Thing" },
};

function schemaOf(typeDefs: string, directiveName?: string, transform = false) {
  const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective(directiveName);
  const schema = createSchema<SessionContext>({ typeDefs: [authDirectiveTypeDefs, typeDefs], resolvers });
  return transform ? authDirectiveTransformer(schema) : schema;
}

/** One schema, with the directive (`@D`) placed differently per case. */
const sdl = (at: { field?: string; type?: string; iface?: string }) => `
  interface Node { hidden: String ${at.iface ?? ""} }
  type Query { me: String! ${at.field ?? ""} hello: String! thing: Thing }
  type Thing implements Node ${at.type ?? ""} { id: ID! hidden: String }
`;

const cases: [string, string, string | undefined, string][] = [
  ["a field", sdl({ field: "@auth" }), undefined, "Query.me"],
  ["a type", sdl({ type: "@auth" }), undefined, "Thing.id"],
  ["an interface field", sdl({ iface: "@auth" }), undefined, "Thing.hidden"],
  ["a renamed directive", sdl({ field: "@signedIn" }), "signedIn", "Query.me"],
];

describe("@auth declared but the schema not transformed", () => {
  it.each(cases)("on %s: createYoga fails with a sentence that says what to add", (_, typeDefs, name, field) => {
    const directive = name ?? "auth";
    expect(() => createYoga({ schema: schemaOf(typeDefs, name), plugins: [useSessions(sessions)], logging: false })).toThrow(
      new RegExp(
        `sessionkit: ${field.replace(".", "\\.")} is marked @${directive} but the schema was not transformed.*authDirectiveTransformer\\(`,
      ),
    );
  });

  it.each(cases)("on %s, transformed: starts, and an anonymous caller gets 401, not the data", async (_, typeDefs, name, field) => {
    const yoga = createYoga({ schema: schemaOf(typeDefs, name, true), plugins: [useSessions(sessions)], logging: false });
    const query = field.startsWith("Query.") ? "{ me }" : "{ thing { id hidden } }";
    const response = await yoga.fetch("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
    const body = await response.json();
    expect(response.status).toBe(401);
    expect(JSON.stringify(body)).not.toContain("secret");
    expect(body.errors[0].extensions.sessionCode).toBe("UNAUTHORISED");
  });

  it("a schema without @auth anywhere starts as before", () => {
    const schema = createSchema({ typeDefs: "type Query { hello: String! }", resolvers: { Query: { hello: () => "hi" } } });
    expect(() => createYoga({ schema, plugins: [useSessions(sessions)], logging: false })).not.toThrow();
  });
});
