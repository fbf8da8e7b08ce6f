// Device metadata through the core: user agent and IP at sign-in (trustProxy variants on a real
// node:http server), last activity and IP moved by refresh in its one round trip, listSessions,
// revokeOtherSessions (notified like any revocation).

import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreateSessionsOptions, type Sessions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

describe.each(availableKinds)("devices on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());

  let users = 0;
  const uid = () => `dev-${++users}-${Math.random().toString(36).slice(2, 6)}`;
  const channel = () => `dev_${Math.random().toString(36).slice(2, 10)}`;

  function setup(options: Partial<CreateSessionsOptions> = {}) {
    const clock = testClock();
    const sessions = createSessions({ store: drizzleStore(db.db), accessTokenTtl: 60, now: clock.now, ...options });
    return { clock, sessions };
  }

  /** A node:http server whose POST /login signs in with the IncomingMessage as the request. */
  async function nodeServer(sessions: Sessions) {
    const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      try {
        const userId = new URL(req.url ?? "/", "http://x").searchParams.get("user") ?? "nobody";
        const s = await sessions.createNewSession({ userId }, res, req);
        res.end(JSON.stringify({ handle: s.getHandle() }));
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
      signIn: async (userId: string, headers: Record<string, string> = {}) => {
        const res = await fetch(`http://127.0.0.1:${port}/login?user=${userId}`, {
          method: "POST",
          headers: { rid: "anti-csrf", ...headers },
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { handle: string }).handle;
      },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  const ipOf = async (sessions: Sessions, userId: string) => (await sessions.listSessions(userId))[0]?.ip;

  it("trustProxy false (default) takes the socket address and ignores a spoofed X-Forwarded-For", async () => {
    const { sessions } = setup();
    const server = await nodeServer(sessions);
    try {
      const user = uid();
      await server.signIn(user, { "x-forwarded-for": "6.6.6.6", "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0" });
      const [summary] = await sessions.listSessions(user);
      expect(summary?.ip).toBe("127.0.0.1");
      expect(summary?.userAgent).toBe("Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0");
    } finally {
      await server.close();
    }
  });

  it("a hop count reads X-Forwarded-For from the right as Express does; a function decides itself", async () => {
    const cases: Array<[CreateSessionsOptions["trustProxy"], string | undefined, string | undefined]> = [
      [0, "203.0.113.1", "127.0.0.1"],
      [1, "6.6.6.6, 203.0.113.1", "203.0.113.1"],
      [2, "6.6.6.6, 203.0.113.1, 10.0.0.2", "203.0.113.1"],
      [5, "203.0.113.1, 10.0.0.2", "203.0.113.1"], // fewer hops than trusted: the furthest
      [1, undefined, "127.0.0.1"],
      [1, "not-an-ip", undefined],
      [1, "[2001:DB8::7]", "2001:db8::7"],
      [(request) => (request.headers as Record<string, string>)["x-real-ip"], undefined, "198.51.100.4"],
    ];
    for (const [trustProxy, xff, expected] of cases) {
      const { sessions } = setup({ trustProxy });
      const server = await nodeServer(sessions);
      try {
        const user = uid();
        const headers: Record<string, string> = { "x-real-ip": "198.51.100.4" };
        if (xff !== undefined) headers["x-forwarded-for"] = xff;
        await server.signIn(user, headers);
        expect(await ipOf(sessions, user), `trustProxy ${String(trustProxy)}, X-Forwarded-For ${xff}`).toBe(expected);
      } finally {
        await server.close();
      }
    }
  });

  it("refuses a bad trustProxy at createSessions", () => {
    for (const bad of [true, -1, 1.5, "1"]) {
      expect(() => setup({ trustProxy: bad as never })).toThrow(TypeError);
    }
  });

  it("bounds the user agent and strips control characters; no request, no device", async () => {
    const { sessions } = setup();
    const user = uid();
    const request = new Request("http://localhost/login", { headers: { "user-agent": `A\tB${"x".repeat(2000)}`, rid: "x" } });
    await sessions.createNewSession({ userId: user }, new Headers(), request);
    const [summary] = await sessions.listSessions(user);
    expect(summary?.userAgent).toBe(`AB${"x".repeat(510)}`);
    // A fetch Request has no socket: without trustProxy the IP is unknown, never guessed from headers.
    expect(summary?.ip).toBeUndefined();
    const other = uid();
    await sessions.createNewSession({ userId: other }, new Headers());
    expect(await sessions.listSessions(other)).toMatchObject([{ userAgent: undefined, ip: undefined }]);
  });

  /** The test app, with a /login that passes its request (device metadata) and a client whose headers a test sets. */
  function deviceClient(sessions: Sessions, now: () => number, headers: Record<string, string>) {
    const app = createTestApp(sessions);
    return new TestClient(async (request) => {
      for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
      if (new URL(request.url).pathname !== "/login") return app(request);
      const out = new Headers();
      const { userId } = (await request.json()) as { userId: string };
      await sessions.createNewSession({ userId }, out, request);
      return new Response("{}", { headers: out });
    }, now);
  }

  it("refresh moves lastActiveAt and the IP in its one round trip; listSessions is one query, by last activity", async () => {
    const { clock, sessions } = setup({ trustProxy: 1 });
    const user = uid();
    const laptopHeaders = { "x-forwarded-for": "192.0.2.10", "user-agent": "Laptop" };
    const laptop = deviceClient(sessions, clock.now, laptopHeaders);
    await laptop.call("/login", { body: { userId: user } });
    clock.advance(1000);
    const phone = deviceClient(sessions, clock.now, { "x-forwarded-for": "192.0.2.20", "user-agent": "Phone" });
    await phone.call("/login", { body: { userId: user } });
    const signedIn = clock.now();

    db.queries.reset();
    const listed = await sessions.listSessions(user);
    expect(db.queries.count).toBe(1);
    expect(listed.map((s) => [s.userAgent, s.ip])).toEqual([
      ["Phone", "192.0.2.20"],
      ["Laptop", "192.0.2.10"],
    ]);

    // The laptop moves to another network and refreshes: exactly one round trip, and it is first now.
    clock.advance(60_000);
    laptopHeaders["x-forwarded-for"] = "198.51.100.99";
    db.queries.reset();
    expect((await laptop.refresh()).status).toBe(200);
    expect(db.queries.count).toBe(1);
    const after = await sessions.listSessions(user);
    expect(after.map((s) => [s.userAgent, s.ip, s.lastActiveAt.getTime()])).toEqual([
      ["Laptop", "198.51.100.99", clock.now()],
      ["Phone", "192.0.2.20", signedIn],
    ]);
    expect(after[0]?.createdAt.getTime()).toBe(signedIn - 1000);
    // A refresh whose IP cannot be told keeps the last known one.
    laptopHeaders["x-forwarded-for"] = "garbage";
    clock.advance(1000);
    expect((await laptop.refresh()).status).toBe(200);
    expect((await sessions.listSessions(user))[0]).toMatchObject({ userAgent: "Laptop", ip: "198.51.100.99" });
  });

  it("session.listSessions marks the current one; revokeOtherSessions is one statement and notified", async () => {
    const notifyChannel = channel();
    // Heartbeats of the listeners would count as statements: none inside this test.
    const quiet = { revocation: "notify" as const, notifyChannel, notifyHeartbeatMs: 600_000 };
    const a = setup(quiet);
    const b = createSessions({ store: drizzleStore(db.db), now: a.clock.now, ...quiet, accessTokenTtl: 60 });
    try {
      const user = uid();
      const app = createTestApp(a.sessions);
      const clients = [new TestClient(app, a.clock.now), new TestClient(app, a.clock.now), new TestClient(app, a.clock.now)];
      for (const c of clients) await c.call("/login", { body: { userId: user } });
      const requestOf = (c: TestClient) => new Request("http://localhost/x", { headers: { cookie: c.jar.header("/") ?? "" } });
      // Warm instance b's listener and key cache.
      await b.getSession(requestOf(clients[1] as TestClient), new Headers());
      await new Promise((r) => setTimeout(r, 200));

      const mine = await a.sessions.getSession(requestOf(clients[0] as TestClient), new Headers());
      db.queries.reset();
      const list = await mine.listSessions();
      expect(db.queries.count).toBe(1);
      expect(list).toHaveLength(3);
      expect(list.filter((s) => s.current).map((s) => s.handle)).toEqual([mine.getHandle()]);

      db.queries.reset();
      const revoked = await mine.revokeOtherSessions();
      expect(db.queries.count).toBe(1);
      expect(revoked.sort()).toEqual(
        list
          .filter((s) => !s.current)
          .map((s) => s.handle)
          .sort(),
      );
      // The other instance refuses the revoked sessions' tokens (its listener got the notice).
      const deadline = Date.now() + 2000;
      let refused = false;
      while (!refused && Date.now() < deadline) {
        refused = await b.getSession(requestOf(clients[1] as TestClient), new Headers()).then(
          () => false,
          (e: { code?: string }) => e.code === "UNAUTHORISED",
        );
        if (!refused) await new Promise((r) => setTimeout(r, 10));
      }
      expect(refused).toBe(true);
      expect((await b.getSession(requestOf(clients[0] as TestClient), new Headers())).getHandle()).toBe(mine.getHandle());
      expect((await a.sessions.listSessions(user)).map((s) => s.handle)).toEqual([mine.getHandle()]);
    } finally {
      await a.sessions.close();
      await b.close();
    }
  });
});
