// The GraphQL example (examples/graphql) over real HTTP: the factory on the test database, and
// `npm run example:graphql`'s server script started as a process on a fresh data directory.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../examples/graphql/app.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { GraphqlClient } from "./harness.js";

let db: TestDb;
let app: App;
let server: Server;
let origin: string;
beforeAll(async () => {
  db = await createTestDb();
  app = await createApp({ db: db.db, admins: ["grace"], logging: false, sessionsOptions: { cookies: { secure: false } } });
  server = createServer(app.yoga);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await app.close();
  await db.close();
});

const client = () => new GraphqlClient((request) => fetch(request), Date.now, origin);
const SIGN_UP =
  "mutation ($n: String!, $p: String!, $d: String) { signUp(name: $n, password: $p, displayName: $d) { userId name displayName role } }";
const SIGN_IN = "mutation ($n: String!, $p: String!) { signIn(name: $n, password: $p) { userId displayName } }";

describe("examples/graphql", () => {
  it("signs up, reads me, renames, keeps notes, signs out, signs in again", async () => {
    const ada = client();
    const signUp = await ada.gql(SIGN_UP, { n: "Ada", p: "correct horse", d: "Ada L." });
    expect(signUp.status).toBe(200);
    expect(signUp.body.data?.signUp).toMatchObject({ name: "ada", displayName: "Ada L.", role: null });
    expect(ada.front()?.up).toMatchObject({ name: "ada", displayName: "Ada L." });

    const hello = await ada.gql("{ hello me { name accessTokenExpiresAt notes { text } } }");
    expect(hello.body.data).toMatchObject({ hello: "Hello, Ada L.!", me: { name: "ada", notes: [] } });

    const renamed = await ada.gql('mutation { rename(displayName: "Countess") { displayName } }');
    expect(renamed.body.data).toEqual({ rename: { displayName: "Countess" } });
    expect(renamed.response.headers.get("front-token")).not.toBeNull();
    expect(ada.front()?.up).toMatchObject({ displayName: "Countess" });
    expect((await ada.gql("{ hello }")).body.data).toEqual({ hello: "Hello, Countess!" });

    const added = await ada.gql('mutation { a: addNote(text: "milk") { id } b: addNote(text: "eggs") { id text } }');
    const notes = added.body.data?.b as { id: string; text: string }[];
    expect(notes.map((n) => n.text)).toEqual(["milk", "eggs"]);
    const removed = await ada.gql("mutation ($id: ID!) { removeNote(id: $id) { text } }", { id: notes[0]?.id });
    expect(removed.body.data).toEqual({ removeNote: [{ text: "eggs" }] });

    const out = await ada.gql("mutation { signOut }");
    expect(out.body.data).toEqual({ signOut: true });
    expect(out.response.headers.get("front-token")).toBe("remove");
    expect((await ada.gql("{ me { name } }")).status).toBe(401);
    expect((await ada.gql("{ hello }")).body.data).toEqual({ hello: "Hello, stranger!" });

    const again = await ada.gql(SIGN_IN, { n: "ada", p: "correct horse" });
    expect(again.body.data?.signIn).toMatchObject({ displayName: "Countess" });
    // Notes live in the session's data: a new session starts with none.
    expect((await ada.gql("{ me { notes { text } } }")).body.data).toEqual({ me: { notes: [] } });
  });

  it("remember: false on sign-in gives session cookies (no Expires, no Max-Age); the default remembers", async () => {
    await client().gql(SIGN_UP, { n: "Rem", p: "correct horse" });
    const lines = async (remember?: boolean) => {
      const reply = await client().gql(
        "mutation ($n: String!, $p: String!, $r: Boolean) { signIn(name: $n, password: $p, remember: $r) { userId } }",
        { n: "rem", p: "correct horse", r: remember },
      );
      expect(reply.status).toBe(200);
      return reply.response.headers.getSetCookie().filter((c) => /^s(Access|Refresh)Token=[^;]/.test(c));
    };
    const forgotten = await lines(false);
    expect(forgotten.length).toBe(2);
    expect(forgotten.every((c) => !/expires=|max-age=/i.test(c))).toBe(true);
    const remembered = await lines();
    expect(remembered.length).toBe(2);
    expect(remembered.every((c) => /expires=/i.test(c))).toBe(true);
  });

  it("answers a wrong password or a taken name with a 200 and BAD_USER_INPUT, never a 401", async () => {
    const c = client();
    await c.gql(SIGN_UP, { n: "bob", p: "hunter2hunter2" });
    const taken = await client().gql(SIGN_UP, { n: "bob", p: "whatever-else" });
    expect(taken.status).toBe(200);
    expect(taken.body.errors?.[0]).toMatchObject({ message: "That name is taken.", extensions: { code: "BAD_USER_INPUT" } });
    for (const [n, p] of [
      ["bob", "wrong password"],
      ["nobody-here", "wrong password"],
    ]) {
      const wrong = await client().gql(SIGN_IN, { n, p });
      expect(wrong.status).toBe(200);
      expect(wrong.body.errors?.[0]?.message).toBe("Wrong name or password.");
      expect(wrong.response.headers.getSetCookie()).toEqual([]);
    }
  });

  it("answers 403 to a valid session with the wrong role, and the admin's count to an admin", async () => {
    const user = client();
    await user.gql(SIGN_UP, { n: "carol", p: "carol's password" });
    const refused = await user.gql("{ adminStats }");
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: "FORBIDDEN" });
    const admin = client();
    const signUp = await admin.gql(SIGN_UP, { n: "grace", p: "grace's password" });
    expect(signUp.body.data?.signUp).toMatchObject({ role: "admin" });
    expect((await admin.gql("{ adminStats }")).body.data).toEqual({ adminStats: 1 });
  });

  it("serves GraphiQL, refresh and sign-out routes from the same Yoga", async () => {
    const page = await fetch(`${origin}/graphql`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("sessionkit GraphQL example");
    const c = client();
    await c.gql(SIGN_UP, { n: "dave", p: "dave's password" });
    expect((await c.refresh()).status).toBe(200);
    const signOut = await c.call("/auth/signout", { method: "POST" });
    expect(signOut.status).toBe(200);
    expect(await signOut.json()).toEqual({ status: "OK" });
    expect((await c.refresh()).status).toBe(401);
    const jwks = await fetch(`${origin}/auth/jwt/jwks.json`);
    expect(jwks.status).toBe(200);
    expect(((await jwks.json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
  });
});

describe("npm run example:graphql", () => {
  it("starts on a fresh data directory and answers", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sessionkit-graphql-example-"));
    const child = spawn(process.execPath, ["--import", "tsx", "examples/graphql/server.ts"], {
      env: { ...process.env, PORT: "0", DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        // Generous: tsx, a fresh PGlite data directory and migrations, on a busy CI machine.
        const timer = setTimeout(() => reject(new Error(`no start line within 90 s: ${out}`)), 90_000);
        const onData = (chunk: Buffer) => {
          out += chunk.toString();
          const match = /GraphiQL at (http:\/\/\S+)/.exec(out);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.once("exit", (code) => reject(new Error(`exited with ${code}: ${out}`)));
      });
      const base = url.replace(/\/graphql$/, "");
      const c = new GraphqlClient((request) => fetch(request), Date.now, base);
      const signUp = await c.gql(SIGN_UP, { n: "first", p: "first password" });
      expect(signUp.status).toBe(200);
      expect(signUp.response.headers.getSetCookie().every((line) => !/;\s*Secure/i.test(line))).toBe(true);
      expect((await c.gql("{ me { name } }")).body.data).toEqual({ me: { name: "first" } });
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
