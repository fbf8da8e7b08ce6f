// The client IP a Hono app records on the session (listSessions' `ip`), on real ports through
// @hono/node-server: the Hono example (examples/hono/app.ts) as it is, once with trustProxy false
// (the connection's address; a spoofed X-Forwarded-For is ignored) and once with trustProxy 1 (one
// proxy in front: X-Forwarded-For's last hop). Sign-in through tRPC (@hono/trpc-server), the
// refresh route (sessions.handle in a Hono middleware; sent from 127.0.0.2, so a new address shows)
// and sign-in through Yoga on a Hono route.

import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHonoApp } from "../../examples/hono/app.js";
import { Users, ensureUsersTable } from "../../examples/shared/users.js";
import { type Sessions, type TrustProxy, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { jarFetch, uniqueName } from "../trpc/harness.js";

const PASSWORD = "correct horse battery";
const SPOOFED = "203.0.113.9";
const now = Date.parse("2026-03-01T10:00:00Z");
const clock = () => now;

interface Served {
  sessions: Sessions;
  server: ServerType;
  url: string;
}

let db: TestDb;
let users: Users;
const served = new Map<string, Served>();

async function start(trustProxy: TrustProxy): Promise<Served> {
  const sessions = createSessions({
    store: drizzleStore(db.db),
    accessTokenTtl: 60,
    revocation: "check-database",
    cookies: { secure: false },
    trustProxy,
    now: clock,
  });
  const app = createHonoApp(sessions, users);
  let server: ServerType | undefined;
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve());
  });
  const s = server as ServerType;
  return { sessions, server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  db = await createTestDb();
  await ensureUsersTable(db.db);
  users = new Users(db.db);
  served.set("untrusted", await start(false));
  served.set("trusted", await start(1));
});
afterAll(async () => {
  for (const { server, sessions } of served.values()) {
    await new Promise((resolve) => server.close(resolve));
    await sessions.close();
  }
  await db?.close();
});

const CASES = [
  // [server, X-Forwarded-For sent, the IP recorded]
  ["untrusted", SPOOFED, "127.0.0.1"],
  ["trusted", SPOOFED, SPOOFED],
  ["trusted", undefined, "127.0.0.1"],
] as const;

async function ipsOf(sessions: Sessions, userId: string): Promise<(string | undefined)[]> {
  return (await sessions.listSessions(userId)).map((s) => s.ip);
}

/** POST /auth/session/refresh from `localAddress` (node:http: fetch cannot choose it); stores the new cookies. */
function refreshFrom(localAddress: string, url: string, jar: CookieJar, extra: Record<string, string>): Promise<number> {
  const path = "/auth/session/refresh";
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      { method: "POST", localAddress, headers: { rid: "session", cookie: jar.header(path), ...extra } },
      (res) => {
        const headers = new Headers();
        for (const line of res.headers["set-cookie"] ?? []) headers.append("set-cookie", line);
        jar.store(new Response(null, { headers }));
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.once("error", reject);
    req.end();
  });
}

describe.each(CASES)("Hono, trustProxy %s, X-Forwarded-For %s", (which, forwarded, expected) => {
  const headers = (extra: Record<string, string>) => ({ ...extra, ...(forwarded ? { "x-forwarded-for": forwarded } : {}) });

  it(`tRPC sign-up and the refresh route record ${expected}`, async () => {
    const { url, sessions } = served.get(which) as Served;
    const jar = new CookieJar(clock);
    const signUp = await jarFetch(jar)(`${url}/trpc/signUp`, {
      method: "POST",
      headers: headers({ "content-type": "application/json", rid: "anti-csrf" }),
      body: JSON.stringify({ name: uniqueName("honoip"), password: PASSWORD }),
    });
    expect(signUp.status).toBe(200);
    const { userId } = ((await signUp.json()) as { result: { data: { userId: string } } }).result.data;
    expect(await ipsOf(sessions, userId)).toEqual([expected]);

    // The refresh comes from another local address (127.0.0.2), with another X-Forwarded-For when one is sent.
    const refreshed = await refreshFrom("127.0.0.2", url, jar, forwarded ? { "x-forwarded-for": "198.51.100.4" } : {});
    expect(refreshed).toBe(200);
    expect(await ipsOf(sessions, userId)).toEqual([which === "trusted" && forwarded ? "198.51.100.4" : "127.0.0.2"]);
  });

  it(`GraphQL Yoga on a Hono route records ${expected} at sign-in`, async () => {
    const { url, sessions } = served.get(which) as Served;
    const name = uniqueName("honoipg");
    const user = await users.create(name, PASSWORD, name);
    if (!user) throw new Error("could not create the user");
    const jar = new CookieJar(clock);
    const res = await jarFetch(jar)(`${url}/graphql`, {
      method: "POST",
      headers: headers({ "content-type": "application/json", rid: "anti-csrf" }),
      body: JSON.stringify({
        query: "mutation ($n: String!, $p: String!) { signIn(name: $n, password: $p) }",
        variables: { n: name, p: PASSWORD },
      }),
    });
    expect(await res.json()).toEqual({ data: { signIn: true } });
    expect(await ipsOf(sessions, user.id)).toEqual([expected]);
  });
});
