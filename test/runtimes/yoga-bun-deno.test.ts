// The GraphQL example (Yoga with useSessions and @auth) under Bun and Deno (both from npm), served
// by each runtime's own HTTP server on postgres.js and real Postgres, one server per runtime:
// sign-in by mutation, an @auth query with the cookies (200, the user's id) and without (401,
// UNAUTHENTICATED / UNAUTHORISED, WIRE.md), an expired token (401 TRY_REFRESH_TOKEN), the refresh
// route, the query again; the client IP recorded (trustProxy false). Node runs the same in test/graphql/flows.test.ts. Needs DATABASE_URL.

import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_URL } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { jarFetch, uniqueName } from "../trpc/harness.js";
import { type Started, startServer } from "./spawn.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = "test/runtimes/fixtures/graphql-server.ts";
const RUNTIMES: Record<string, [string, string[]]> = {
  bun: [`${root}node_modules/.bin/bun`, [fixture]],
  deno: [`${root}node_modules/.bin/deno`, ["run", "--allow-all", "--sloppy-imports", fixture]],
};

interface Reply {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

describe.skipIf(!DATABASE_URL).each(Object.keys(RUNTIMES))("the GraphQL example under %s", (runtime) => {
  let server: Started;
  let admin: postgres.Sql;
  const schema = `sk_rtg_${runtime}_${Math.random().toString(36).slice(2, 8)}`;
  let now = Date.parse("2026-03-01T10:00:00Z");
  const clock = () => now;

  beforeAll(async () => {
    admin = postgres(DATABASE_URL as string, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    const [command, args] = RUNTIMES[runtime] as [string, string[]];
    server = await startServer(command, args, { cwd: root, env: { DATABASE_URL, SCHEMA: schema, START_NOW: String(now) } });
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end({ timeout: 1 });
  });

  async function graphql(jar: CookieJar, query: string, variables: Record<string, unknown> = {}): Promise<Reply> {
    const res = await jarFetch(jar)(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", rid: "anti-csrf" },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as Reply["body"] };
  }
  async function setNow(ms: number) {
    now = ms;
    const res = await fetch(`${server.url}/__test/now`, { method: "POST", body: String(ms) });
    expect(res.status).toBe(204);
  }

  it("signs in, answers @auth with the cookies and refuses it without, refreshes", async () => {
    const jar = new CookieJar(clock);
    const name = uniqueName(runtime);
    const signUp = await graphql(jar, 'mutation ($n: String!) { signUp(name: $n, password: "correct horse") { userId } }', { n: name });
    const userId = (signUp.body.data?.signUp as { userId?: string } | undefined)?.userId;
    expect(typeof userId).toBe("string");
    expect(await graphql(new CookieJar(clock), "{ hello }")).toEqual({ status: 200, body: { data: { hello: "Hello, stranger!" } } });
    await graphql(jar, 'mutation ($n: String!) { signIn(name: $n, password: "correct horse") { userId } }', { n: name });
    expect(jar.header("/graphql")).toContain("sAccessToken=");
    // The address the runtime gave the handler (Yoga passes plugins a copy of Deno's info: read through).
    const rows = await admin.unsafe(`SELECT ip FROM ${schema}.sessionkit_sessions WHERE user_id = $1`, [userId as string]);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.ip))).toEqual(new Set(["127.0.0.1"]));

    const me = await graphql(jar, "{ me { userId name } }");
    expect(me).toEqual({ status: 200, body: { data: { me: { userId, name } } } });

    const anonymous = await graphql(new CookieJar(clock), "{ me { userId } }");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", sessionCode: "UNAUTHORISED" });

    await setNow(now + 61_000);
    const expired = await graphql(jar, "{ me { userId } }");
    expect(expired.status).toBe(401);
    expect(expired.body.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", sessionCode: "TRY_REFRESH_TOKEN" });
    const refreshed = await jarFetch(jar)(`${server.url}/auth/session/refresh`, { method: "POST", headers: { rid: "session" } });
    expect(refreshed.status).toBe(200);
    expect(await graphql(jar, "{ me { userId } }")).toEqual({ status: 200, body: { data: { me: { userId } } } });
  });
});
