// Expiry on live connections (injected clock): a tRPC subscription ends with TRY_REFRESH_TOKEN
// when its access token expires; with sessionRefreshLink the client refreshes, resubscribes from
// the last tracked event id and misses nothing (wsLink reopens its socket through `reconnect`,
// httpSubscriptionLink needs nothing). Also: revocation "check-database" checks every open
// stream with one statement per interval, and no watch outlives its session object.

import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRefreshLink } from "../../src/adapters/trpc/client.js";
import { engineOf } from "../../src/core/internal.js";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type Instance, openInstance } from "../concurrency/instances.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { jarFetch, record, signIn, socketClass, sseTrpc, wsTrpc } from "./clients.js";
import { type LiveRouter, type LiveServer, serveLive } from "./trpc-app.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

describe("expiry", () => {
  let now = Date.parse("2026-06-01T09:00:00Z");
  const clock = () => now;
  let live: LiveServer;
  beforeAll(async () => {
    const sessions = createSessions({
      store: drizzleStore(db.db),
      accessTokenTtl: 60,
      cookies: { secure: false },
      now: clock,
      liveCheckIntervalMs: 20,
    });
    live = await serveLive(sessions);
  });
  afterAll(async () => {
    await live.close();
    await live.sessions.close();
  });

  it.each(["ws", "sse"] as const)("ends a %s subscription with TRY_REFRESH_TOKEN when the access token expires", async (transport) => {
    const jar = new CookieJar(clock);
    await signIn(live.url, jar, `expiring-${transport}`);
    const ws = transport === "ws" ? wsTrpc(live.wsUrl, { jar }) : undefined;
    const trpc = ws?.trpc ?? sseTrpc(live.url, jar);
    const sub = record(trpc.feed);
    await sub.started;
    const first = sub.nextEvent();
    live.feed.publish();
    await first;
    now += 61_000;
    expect((await sub.error).data?.sessionCode).toBe("TRY_REFRESH_TOKEN");
    await ws?.close();
  });

  it.each(["ws", "sse"] as const)(
    "sessionRefreshLink refreshes and resubscribes a %s subscription with no gap in its events",
    async (transport) => {
      const jar = new CookieJar(clock);
      await signIn(live.url, jar, `refreshing-${transport}`);
      let refreshes = 0;
      const countingFetch = jarFetch(jar);
      const fetchWithCount = (input: RequestInfo | URL, init?: RequestInit) => {
        if (String(input).endsWith("/session/refresh")) refreshes++;
        return countingFetch(input, init);
      };
      let wsClient: ReturnType<typeof createWSClient> | undefined;
      const session = sessionRefreshLink<LiveRouter>({
        baseUrl: `${live.url}/auth`,
        fetch: fetchWithCount,
        // The next call reopens the socket, and the new upgrade request carries the refreshed cookie.
        reconnect: () => wsClient?.close(),
      });
      let trpc: ReturnType<typeof createTRPCClient<LiveRouter>>;
      if (transport === "ws") {
        wsClient = createWSClient({ url: live.wsUrl, WebSocket: socketClass(jar) as never, retryDelayMs: () => 20 });
        trpc = createTRPCClient<LiveRouter>({ links: [session, wsLink({ client: wsClient })] });
      } else {
        trpc = sseTrpc(live.url, jar, [session]);
      }
      const sub = record(trpc.feed);
      await sub.started;
      const start = live.feed.n;
      // A steady publisher: the feed moves on while the client refreshes.
      const publisher = setInterval(() => live.feed.publish(), 2);
      await sub.nextEvent();
      now += 61_000;
      const target = live.feed.n + 200;
      while ((sub.events.at(-1) ?? 0) < target) await sub.nextEvent();
      clearInterval(publisher);
      const failed = await Promise.race([sub.error, new Promise((resolve) => setTimeout(() => resolve("none"), 20))]);
      expect(failed).toBe("none");
      expect(refreshes).toBe(1);
      const events = sub.events;
      const expected = Array.from({ length: events.length }, (_, i) => (events[0] as number) + i);
      expect(events).toEqual(expected); // contiguous: nothing missed, nothing twice
      expect(events[0]).toBe(start + 1);
      sub.stop();
      await wsClient?.close();
    },
  );
});

describe("revocation check-database with open streams", () => {
  let server: Instance;
  let other: Instance;
  let live: LiveServer;
  beforeAll(async () => {
    server = openInstance(db, "cdb-server", { revocation: "check-database", cookies: { secure: false }, liveCheckIntervalMs: 100 });
    other = openInstance(db, "cdb-other", { revocation: "check-database" });
    live = await serveLive(server.sessions);
  });
  afterAll(async () => {
    await live.close();
    await server.close();
    await other.close();
  });

  it("one statement per interval checks every open stream, and a revocation elsewhere ends its stream at the next check", async () => {
    const streams: { handle: string; sub: ReturnType<typeof record>; close(): Promise<void> }[] = [];
    for (let i = 0; i < 20; i++) {
      const jar = new CookieJar();
      const handle = await signIn(live.url, jar, `cdb-${i}`);
      const { trpc, close } = wsTrpc(live.wsUrl, { jar });
      const sub = record(trpc.feed);
      await sub.started;
      streams.push({ handle, sub, close });
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    server.queries.reset();
    const window = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const perSecond = server.queries.log.filter((q) => q.includes("jsonb_array_elements_text") || q === "liveHandles").length;
    const elapsed = performance.now() - window;
    console.log(`[live] check-database: ${perSecond} periodic statements in ${Math.round(elapsed)} ms for 20 open streams`);
    expect(perSecond).toBeGreaterThanOrEqual(5);
    expect(perSecond).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);

    const victim = streams[3] as (typeof streams)[number];
    await other.sessions.revokeSession(victim.handle);
    const returned = performance.now();
    const ended = await victim.sub.error;
    console.log(`[live] check-database: stream ended ${Math.round(ended.at - returned)} ms after the revocation (interval 100 ms)`);
    expect(ended.data?.sessionCode).toBe("UNAUTHORISED");
    const n = live.feed.publish();
    for (const s of streams) if (s !== victim) expect(await s.sub.nextEvent()).toBe(n);
    for (const s of streams) await s.close();
  });
});

describe("no leak", () => {
  it("a session object's watch goes once the object is garbage-collected", async () => {
    const { setFlagsFromString } = await import("node:v8");
    const { runInNewContext } = await import("node:vm");
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false } });
    const headers = new Headers();
    await sessions.createNewSession({ userId: "leak" }, headers);
    const request = new Request("http://x/", {
      headers: {
        cookie: headers
          .getSetCookie()
          .map((l) => l.split(";")[0])
          .join("; "),
      },
    });
    const live = engineOf(sessions).live;
    const before = process.memoryUsage().heapUsed;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2000; i++) {
        const session = await sessions.getSession(request, new Headers());
        void session.signal;
      }
    }
    expect(live.size).toBeGreaterThan(0);
    for (let i = 0; i < 10 && live.size > 0; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    gc();
    const after = process.memoryUsage().heapUsed;
    console.log(
      `[live] 10,000 watched session objects dropped: ${live.size} left, heap ${((after - before) / 1024).toFixed(0)} KB vs before`,
    );
    expect(live.size).toBe(0);
    await sessions.close();
  });
});
