// Revocation "notify" under Bun and Deno (installed from npm): two instances of the tRPC example
// (test/runtimes/fixtures/trpc-server.ts) on one schema, each with postgres.js and its own
// LISTEN connection. A session signed in on A is served by B with 0 statements per request (the
// fixture counts what its client sends); signed out on A, it is refused by B within a short
// bound, still with 0 statements per request.

import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_URL } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { createClient, uniqueName } from "../trpc/harness.js";
import { type Started, startServer } from "./spawn.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = "test/runtimes/fixtures/trpc-server.ts";

const RUNTIMES: Record<string, [string, string[]]> = {
  bun: [`${root}node_modules/.bin/bun`, [fixture]],
  deno: [`${root}node_modules/.bin/deno`, ["run", "--allow-all", "--sloppy-imports", fixture]],
};

/** How long B may go on accepting a token revoked on A (API.md promises 100 ms on a quiet machine). */
const BOUND_MS = 2_000;

describe.skipIf(!DATABASE_URL).each(Object.keys(RUNTIMES))("revocation notify, two instances under %s", (runtime) => {
  let a: Started;
  let b: Started;
  let admin: postgres.Sql;
  const schema = `sk_rtn_${runtime}_${Math.random().toString(36).slice(2, 8)}`;
  const now = Date.now();

  beforeAll(async () => {
    admin = postgres(DATABASE_URL as string, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    const [command, args] = RUNTIMES[runtime] as [string, string[]];
    const env = { DATABASE_URL, SCHEMA: schema, START_NOW: String(now), REVOCATION: "notify" };
    // One after the other: each migrates the schema at start.
    a = await startServer(command, args, { cwd: root, env: { ...env, APP_NAME: `${schema}_a` } });
    b = await startServer(command, args, { cwd: root, env: { ...env, APP_NAME: `${schema}_b` } });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end({ timeout: 1 });
  });

  /** Statements B's client sent since the last call. */
  const queriesOn = async (server: Started) => Number(await (await fetch(`${server.url}/__test/queries`)).text());
  const meOn = (server: Started, token: string) =>
    fetch(`${server.url}/trpc/me`, { headers: { cookie: `sAccessToken=${token}`, rid: "anti-csrf" } });

  it("serves on B a session made on A with 0 queries per request, and refuses it soon after sign-out on A", async () => {
    const jar = new CookieJar(() => now);
    const onA = createClient(a.url, { now: () => now, jar, link: "http" });
    await onA.trpc.signUp.mutate({ name: uniqueName(runtime), password: "correct horse battery", displayName: "Ada" });
    const token = jar.get("sAccessToken") ?? "";
    expect(token).not.toBe("");

    expect((await meOn(b, token)).status).toBe(200); // loads the signing keys on B
    await queriesOn(b);
    for (let i = 0; i < 20; i++) expect((await meOn(b, token)).status).toBe(200);
    expect(await queriesOn(b)).toBe(0);

    await onA.trpc.signOut.mutate();
    const revokedAt = Date.now();
    let status = 200;
    let requests = 0;
    while (status === 200 && Date.now() - revokedAt < BOUND_MS) {
      status = (await meOn(b, token)).status;
      requests++;
    }
    const elapsed = Date.now() - revokedAt;
    console.log(`${b.hello.runtime}: B refused the token revoked on A after ${elapsed} ms (${requests} requests)`);
    expect(status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await meOn(b, token)).status).toBe(401);
    expect(await queriesOn(b)).toBe(0);
  });

  it("holds one LISTEN connection per instance", async () => {
    const listeners = await admin<{ name: string }[]>`
      SELECT application_name AS name FROM pg_stat_activity
      WHERE application_name IN (${`${schema}_a sessionkit-listener`}, ${`${schema}_b sessionkit-listener`})
      ORDER BY 1`;
    expect(listeners.map((l) => l.name)).toEqual([`${schema}_a sessionkit-listener`, `${schema}_b sessionkit-listener`]);
  });
});
