// The packed package on node-postgres, as a user installs it: a fresh project with the tarball,
// `pg` and drizzle-orm/node-postgres (test/package/consumer/node-postgres-db.ts in place of
// db.ts), the tRPC app of the consumer test compiled against the packed types, two instances on
// one schema with revocation "notify" (each with its dedicated listening pg.Client). Driven over
// real HTTP with a cookie jar: sign-in, protected call, session data, expiry and refresh, theft,
// JWKS, sign-out, a revocation on one instance refused by the other. The servers' clocks move
// with SIGUSR2 (test/runtimes/fixtures/clock.mjs), by one access-token lifetime and a second.

import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_URL } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import type { Started } from "../runtimes/spawn.js";
import { type Project, consumerProject } from "./projects.js";

const CLOCK = fileURLToPath(new URL("../runtimes/fixtures/clock.mjs", import.meta.url));
/** The consumer app keeps the default access-token lifetime (3600 s): one step expires a token. */
const STEP_MS = 3_601_000;

describe.skipIf(!DATABASE_URL)("a tRPC project on node-postgres (pg Pool), from the packed package", () => {
  let project: Project;
  let admin: postgres.Sql;
  let a: Started;
  let b: Started;
  const schema = `sk_consumer_pg_${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    admin = postgres(DATABASE_URL as string, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    project = await consumerProject("trpc", { driver: "node-postgres" });
    const env = { DATABASE_URL: DATABASE_URL as string, CONSUMER_SCHEMA: schema, NODE_ENV: "production", CLOCK_STEP_MS: String(STEP_MS) };
    // One after the other: each runs migrate() on the schema at start.
    a = await project.startServer(env, ["--import", CLOCK]);
    b = await project.startServer(env, ["--import", CLOCK]);
  }, 240_000);
  afterAll(async () => {
    await project?.dispose();
    await admin?.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end({ timeout: 1 });
  });

  it("installs pg next to the package", () => {
    expect(project.has("pg")).toBe(true);
    expect(project.has("sessionkit")).toBe(true);
  });

  /** Moves both servers' clocks forward by STEP_MS. */
  async function step() {
    const moved = [a.nextLine(/"clock"/), b.nextLine(/"clock"/)];
    a.kill("SIGUSR2");
    b.kill("SIGUSR2");
    await Promise.all(moved);
  }

  function client() {
    const jar = new CookieJar();
    const send = (server: Started, path: string, init?: RequestInit) => jar.fetch(new URL(path, server.url), init);
    const call = (server: Started, path: string, body?: unknown) =>
      send(
        server,
        `/trpc/${path}`,
        body === undefined
          ? {}
          : { method: "POST", headers: { rid: "anti-csrf", "content-type": "application/json" }, body: JSON.stringify(body) },
      );
    const refresh = (server: Started) => send(server, "/auth/session/refresh", { method: "POST", headers: { rid: "session" } });
    return { jar, send, call, refresh };
  }

  it("signs in, answers a protected call, keeps session data, serves the JWKS", async () => {
    const c = client();
    expect((await c.call(a, "me")).status).toBe(401);
    const signIn = await c.call(a, "signIn", { name: "ada", password: "ada-password" });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get("front-token")).toBeTruthy();
    expect(await (await c.call(a, "me")).json()).toEqual({ result: { data: { userId: "user-ada", payload: { name: "ada" } } } });
    // modifySessionData under the row lock, on a pooled pg client, from either instance.
    expect(await (await c.call(a, "visits", null)).json()).toEqual({ result: { data: { visits: 1 } } });
    expect(await (await c.call(b, "visits", null)).json()).toEqual({ result: { data: { visits: 2 } } });

    const jwks = await fetch(new URL("/auth/jwt/jwks.json", a.url));
    expect(jwks.status).toBe(200);
    const { keys } = (await jwks.json()) as { keys: { kid: string }[] };
    expect(keys.length).toBeGreaterThan(0);
    // Both instances sign with the keys kept in the database.
    const other = (await (await fetch(new URL("/auth/jwt/jwks.json", b.url))).json()) as { keys: { kid: string }[] };
    expect(other.keys.map((k) => k.kid).sort()).toEqual(keys.map((k) => k.kid).sort());
  });

  it("refuses an expired token with TRY_REFRESH_TOKEN, refreshes, then detects a replayed refresh token as theft", async () => {
    const c = client();
    await c.call(a, "signIn", { name: "grace", password: "grace-password" });
    const stolen = c.jar.header("/auth/session/refresh");
    await step();
    const expired = await c.call(a, "me");
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { data: { sessionCode: string } } }).error.data.sessionCode).toBe("TRY_REFRESH_TOKEN");
    expect((await c.refresh(b)).status).toBe(200);
    expect((await c.call(a, "me")).status).toBe(200);

    await step(); // past the rotated token's grace period
    const replay = await fetch(new URL("/auth/session/refresh", a.url), { method: "POST", headers: { cookie: stolen, rid: "session" } });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ message: "token theft detected" });
    expect((await c.refresh(a)).status).toBe(401);
  });

  it("signs out on one instance; the other refuses the access token within a short bound (notify, pg listener)", async () => {
    const c = client();
    await c.call(a, "signIn", { name: "linus", password: "linus-password" });
    expect((await c.call(b, "me")).status).toBe(200);
    const token = c.jar.get("sAccessToken") ?? "";
    expect((await c.call(a, "signOut", null)).status).toBe(200);
    expect(c.jar.get("sAccessToken")).toBeUndefined();
    const revokedAt = Date.now();
    c.jar.set("sAccessToken", token);
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 5_000) {
      status = (await c.call(b, "me")).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const elapsed = Date.now() - revokedAt;
    console.log(`node-postgres consumer: instance B refused the revoked token ${elapsed} ms after sign-out returned on A`);
    expect(status).toBe(401);
    expect((await c.call(a, "me")).status).toBe(401);
  });

  it("works with the tRPC client and sessionRefreshLink, and every process exits", async () => {
    const seen = await project.runScript("trpc-client", [a.url]);
    expect(seen).toMatchObject({ me: { userId: "user-grace" }, refreshes: 1, afterSignOut: { httpStatus: 401 } });
  });
});
