// docs/graphql.md shows examples/graphql/minimal.ts verbatim (with package imports), and that
// code runs: sign-in, @auth, rename with a new front-token, sign-out, refresh route.

import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGraphqlServer } from "../../examples/graphql/minimal.js";
import { type Sessions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { GraphqlClient } from "./harness.js";

const root = new URL("../../", import.meta.url);

describe("docs/graphql.md", () => {
  it("shows examples/graphql/minimal.ts as it is", () => {
    const source = readFileSync(new URL("examples/graphql/minimal.ts", root), "utf8");
    const shown = source
      .slice(source.indexOf("import {"))
      .replace('"../../src/adapters/graphql/index.js"', '"sessionkit/graphql"')
      .replace('"../../src/index.js"', '"sessionkit"');
    const doc = readFileSync(new URL("docs/graphql.md", root), "utf8");
    expect(doc).toContain(`\`\`\`ts\n${shown}\`\`\``);
  });

  describe("the minimal server", () => {
    let db: TestDb;
    let sessions: Sessions;
    let server: Server;
    let client: GraphqlClient;
    beforeAll(async () => {
      db = await createTestDb();
      sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false } });
      server = createGraphqlServer(sessions);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      client = new GraphqlClient((r) => fetch(r), Date.now, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await sessions.close();
      await db.close();
    });

    it("runs the guide's flow", async () => {
      expect((await client.gql("{ hello me }")).status).toBe(401);
      const wrong = await client.gql('mutation { signIn(name: "ada", password: "nope") }');
      expect(wrong.status).toBe(200);
      expect(wrong.body.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT" });
      const signIn = await client.gql('mutation { signIn(name: "ada", password: "ada-password") }');
      expect(signIn.body.data).toEqual({ signIn: true });
      expect(client.front()).toMatchObject({ uid: "ada", up: { displayName: "ada" } });
      expect((await client.gql("{ hello me }")).body.data).toEqual({ hello: "hello again", me: "ada" });
      await client.gql('mutation { rename(displayName: "Ada L.") }');
      expect(client.front()?.up).toMatchObject({ displayName: "Ada L." });
      expect((await client.refresh()).status).toBe(200);
      const out = await client.gql("mutation { signOut }");
      expect(out.response.headers.get("front-token")).toBe("remove");
      expect((await client.gql("{ me }")).status).toBe(401);
    });
  });
});
