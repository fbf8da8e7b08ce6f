// claimsRefreshed end to end through the real clients: the tRPC example (its `role` claim,
// maxAgeSeconds 300) over HTTP with @trpc/client and sessionRefreshLink, and Yoga on node:http
// with a cookie-jar client. Once per rotation that re-fetched a stale claim: three calls failing
// together share one refresh (one event), a refresh while the claim is fresh fires none, and two
// tabs refreshing in the grace window are one rotation (one event).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineOf } from "../../src/core/internal.js";
import { type SessionEvent, claim } from "../../src/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { startHarness } from "../graphql/harness.js";
import { createClient, serveApp, uniqueName } from "../trpc/harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.close());

const PASSWORD = "correct horse battery";

describe("claimsRefreshed through the tRPC client (sessionRefreshLink)", () => {
  it("once per rotation that re-fetched the stale role claim; none while it is fresh", async () => {
    const clock = testClock();
    const events: SessionEvent[] = [];
    const served = await serveApp("fetch", {
      db: db.db,
      sessionsOptions: {
        cookies: { secure: false },
        accessTokenTtl: 60,
        now: clock.now,
        on: { claimsRefreshed: (e) => void events.push(e) },
      },
    });
    const settled = () => engineOf(served.app.sessions).events.settled();
    try {
      const client = createClient(served.url, { now: clock.now, link: "http" });
      const me = await client.trpc.signUp.mutate({ name: uniqueName("claims-trpc"), password: PASSWORD, displayName: "Ada" });
      // Past the access token (60 s) and the claim's age (300 s): three calls fail together, the
      // link refreshes once for all of them, and that rotation re-fetches the claim once.
      clock.advance(301_000);
      const refreshes = () => served.log.paths.filter((p) => p === "/auth/session/refresh").length;
      const before = refreshes();
      const results = await Promise.all([client.trpc.me.query(), client.trpc.hello.query(), client.trpc.notes.list.query()]);
      expect(results[0].userId).toBe(me.userId);
      expect(refreshes() - before).toBe(1);
      await settled();
      expect(events.map((e) => [e.userId, e.handle.length > 0])).toEqual([[me.userId, true]]);
      // Past the access token only: the refresh keeps the claim (younger than 300 s), no event.
      clock.advance(61_000);
      expect((await client.trpc.me.query()).userId).toBe(me.userId);
      await settled();
      expect(events.length).toBe(1);
      expect(client.expired).toBe(0);
    } finally {
      await served.close();
    }
  });
});

describe("claimsRefreshed through GraphQL (Yoga on node:http)", () => {
  it("once per rotation, also when two tabs refresh together in the grace window", async () => {
    const clock = testClock();
    const events: SessionEvent[] = [];
    let fetches = 0;
    const plan = claim<string>("plan", {
      fetch: () => {
        fetches++;
        return "pro";
      },
      maxAgeSeconds: 300,
    });
    const harness = await startHarness(db, {
      transport: "http",
      sessions: { now: clock.now, accessTokenTtl: 60, claims: [plan], on: { claimsRefreshed: (e) => void events.push(e) } },
    });
    const settled = () => engineOf(harness.sessions).events.settled();
    try {
      const tab = harness.client(clock.now);
      const userId = uniqueName("claims-gql");
      expect((await tab.gql(`mutation { signIn(userId: "${userId}") }`)).status).toBe(200);
      expect(fetches).toBe(1); // at sign-in, no event
      clock.advance(301_000);
      expect((await tab.gql("{ me }")).status).toBe(401);
      // A second tab with the same cookies refreshes at the same moment: one rotation.
      const other = harness.client(clock.now);
      for (const name of ["sAccessToken", "sRefreshToken"] as const) {
        const value = tab.jar.get(name);
        if (value) other.jar.set(name, value, name === "sRefreshToken" ? "/auth/session/refresh" : "/");
      }
      expect((await Promise.all([tab.refresh(), other.refresh()])).map((r) => r.status)).toEqual([200, 200]);
      expect((await tab.gql("{ me }")).body).toMatchObject({ data: { me: userId } });
      await settled();
      expect(events.map((e) => e.userId)).toEqual([userId]);
      expect(fetches).toBe(2);
      // Fresh claim: a refresh re-fetches nothing and fires nothing.
      clock.advance(61_000);
      expect((await tab.refresh()).status).toBe(200);
      await settled();
      expect(events.length).toBe(1);
      expect(fetches).toBe(2);
    } finally {
      await harness.close();
    }
  });
});
