// The events the other event tests leave out, each with exact counts: claimsRefreshed (at a
// refresh, also with tabs refreshing together in the grace window; session.refreshClaim;
// refreshClaimsForUser through notify), cap eviction (maxSessionsPerUser, also under concurrent
// sign-ins; the evicted session's device), max lifetime, the device (IP through trustProxy, User-Agent) in created and
// refreshed, and theft through Yoga's refresh route.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineOf } from "../../src/core/internal.js";
import {
  type CreateSessionsOptions,
  type SessionEvent,
  type SessionEventName,
  type SessionHooks,
  claim,
  createSessions,
  isSessionError,
} from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { startHarness } from "../graphql/harness.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { type TestClock, testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { uniqueName } from "../trpc/harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.close());

const NAMES: SessionEventName[] = ["created", "refreshed", "revoked", "theft", "claimsRefreshed"];

function recorder() {
  const events: { name: SessionEventName; event: SessionEvent }[] = [];
  const on: SessionHooks = {};
  for (const name of NAMES) on[name] = (event) => void events.push({ name, event });
  return {
    events,
    on,
    count: (name: SessionEventName, reason?: string) =>
      events.filter((e) => e.name === name && (reason === undefined || e.event.reason === reason)).length,
  };
}

let fetches = 0;
const plan = claim<string>("plan", {
  fetch: async () => {
    fetches++;
    return "pro";
  },
  maxAgeSeconds: 60,
});

function instance(options: Partial<CreateSessionsOptions> = {}, clock: TestClock = testClock()) {
  const rec = recorder();
  const sessions = createSessions({
    store: drizzleStore(db.db),
    cookies: { secure: false },
    now: clock.now,
    trustProxy: 1,
    claims: [plan],
    on: rec.on,
    ...options,
  });
  const routes = createTestApp(sessions);
  // Sign-in with the request (the device) and a route that re-fetches the claim now.
  const app = async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const headers = new Headers({ "content-type": "application/json" });
    try {
      if (pathname === "/login") {
        const { userId } = (await request.json()) as { userId: string };
        const session = await sessions.createNewSession({ userId }, headers, request);
        return new Response(JSON.stringify({ handle: session.getHandle() }), { headers });
      }
      if (pathname === "/refresh-claim") {
        const session = await sessions.getSession(request, headers);
        return new Response(JSON.stringify({ plan: await session.refreshClaim(plan) }), { headers });
      }
    } catch (error) {
      if (isSessionError(error)) return new Response(JSON.stringify({ code: error.code }), { status: error.status, headers });
      throw error;
    }
    return routes(request);
  };
  return {
    sessions,
    clock,
    rec,
    client: () => new TestClient(app, clock.now),
    settled: () => engineOf(sessions).events.settled(),
  };
}

type Instance = ReturnType<typeof instance>;

const DEVICE = { "user-agent": "Firefox/128 coverage", "x-forwarded-for": "203.0.113.7" };

async function signIn(t: Instance, userId: string, headers: Record<string, string> = DEVICE) {
  const client = t.client();
  const response = await client.call("/login", { body: { userId }, headers });
  expect(response.status).toBe(200);
  return { client, handle: ((await response.json()) as { handle: string }).handle };
}

function twin(t: Instance, client: TestClient): TestClient {
  const other = t.client();
  const access = client.jar.get("sAccessToken");
  const refresh = client.jar.get("sRefreshToken");
  if (access) other.jar.set("sAccessToken", access, "/");
  if (refresh) other.jar.set("sRefreshToken", refresh, "/auth/session/refresh");
  return other;
}

describe("the device in created and refreshed", () => {
  it("carries the IP (trustProxy) and the User-Agent of the request", async () => {
    const t = instance();
    try {
      const { client, handle } = await signIn(t, "cov-device");
      expect((await client.refresh({ headers: { "user-agent": "Firefox/129 coverage", "x-forwarded-for": "198.51.100.9" } })).status).toBe(
        200,
      );
      await t.settled();
      expect(t.rec.events.map((e) => [e.name, e.event])).toEqual([
        ["created", { handle, userId: "cov-device", at: new Date(t.clock.now()), ip: "203.0.113.7", userAgent: "Firefox/128 coverage" }],
        ["refreshed", { handle, userId: "cov-device", at: new Date(t.clock.now()), ip: "198.51.100.9", userAgent: "Firefox/129 coverage" }],
      ]);
    } finally {
      await t.sessions.close();
    }
  });
});

describe("claimsRefreshed", () => {
  it("once per refresh that re-fetched a stale claim, also when five tabs refresh together", async () => {
    const t = instance();
    try {
      const { client, handle } = await signIn(t, "cov-claims");
      // Fresh claim: a refresh keeps it, no event.
      expect((await client.refresh()).status).toBe(200);
      await t.settled();
      expect(t.rec.count("claimsRefreshed")).toBe(0);
      t.clock.advance(61_000);
      const tabs = Array.from({ length: 5 }, () => twin(t, client));
      const replies = await Promise.all(tabs.map((tab) => tab.refresh({ headers: DEVICE })));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      await t.settled();
      expect([t.rec.count("refreshed"), t.rec.count("claimsRefreshed")]).toEqual([2, 1]);
      expect(t.rec.events.find((e) => e.name === "claimsRefreshed")?.event).toMatchObject({
        handle,
        userId: "cov-claims",
        ip: "203.0.113.7",
      });
    } finally {
      await t.sessions.close();
    }
  });

  it("once per session.refreshClaim, and once per session reached by refreshClaimsForUser (notify, next request)", async () => {
    const channel = `sk_cov_${process.pid}`;
    const a = instance({ revocation: "notify", notifyChannel: channel });
    const b = instance({ revocation: "notify", notifyChannel: channel }, a.clock);
    try {
      const user = uniqueName("cov-claims");
      const one = await signIn(a, user);
      const two = await signIn(a, user);
      const before = fetches;
      expect((await one.client.call("/refresh-claim")).status).toBe(200);
      await a.settled();
      expect(fetches - before).toBe(1);
      expect(a.rec.count("claimsRefreshed")).toBe(1);

      await expect.poll(() => engineOf(b.sessions).revocation.live?.(), { timeout: 10_000 }).toBe(true);
      a.clock.advance(1000); // later than the values the sessions hold
      expect((await a.sessions.refreshClaimsForUser(user)).length).toBe(2);
      // The next request of each session, here on instance B, re-fetches: one event each, on B.
      const onB = [twin(b, one.client), twin(b, two.client)];
      await expect.poll(async () => (await onB[0]?.call("/me"))?.headers.get("front-token") !== null, { timeout: 5000 }).toBe(true);
      expect((await onB[1]?.call("/me"))?.headers.get("front-token")).not.toBeNull();
      // Their next requests carry the new token: no more re-fetches.
      expect((await onB[0]?.call("/me"))?.headers.get("front-token")).toBeNull();
      await Promise.all([a.settled(), b.settled()]);
      expect(b.rec.count("claimsRefreshed")).toBe(2);
      expect(a.rec.count("claimsRefreshed")).toBe(1);
    } finally {
      await Promise.all([a.sessions.close(), b.sessions.close()]);
    }
  });
});

describe("cap eviction (maxSessionsPerUser)", () => {
  it("a sign-in beyond the cap: one revoked event with reason maxSessionsPerUser for the session it ended, with that session's device", async () => {
    const t = instance({ maxSessionsPerUser: 2 });
    try {
      const user = uniqueName("cov-cap");
      const first = await signIn(t, user, { "user-agent": "Phone/1 coverage", "x-forwarded-for": "203.0.113.7" });
      t.clock.advance(1000);
      // Its last refresh moved its stored IP: the event reports the device as last seen.
      expect(
        (await first.client.refresh({ headers: { "user-agent": "Phone/1 coverage", "x-forwarded-for": "198.51.100.9" } })).status,
      ).toBe(200);
      t.clock.advance(1000);
      await signIn(t, user, { "user-agent": "Laptop/2 coverage", "x-forwarded-for": "192.0.2.1" });
      t.clock.advance(1000);
      const third = await signIn(t, user, { "user-agent": "Tablet/3 coverage", "x-forwarded-for": "192.0.2.99" });
      await t.settled();
      expect(t.rec.count("created")).toBe(3);
      const at = new Date(t.clock.now());
      // The evicted session's device, not the sign-in's (that one is in the created event of the same moment).
      expect(t.rec.events.filter((e) => e.name === "revoked").map((e) => e.event)).toEqual([
        { handle: first.handle, userId: user, at, ip: "198.51.100.9", userAgent: "Phone/1 coverage", reason: "maxSessionsPerUser" },
      ]);
      expect(t.rec.events.find((e) => e.name === "created" && e.event.handle === third.handle)?.event).toMatchObject({
        at,
        ip: "192.0.2.99",
        userAgent: "Tablet/3 coverage",
      });
      expect(t.rec.count("theft")).toBe(0);
    } finally {
      await t.sessions.close();
    }
  });

  it("twelve concurrent sign-ins with a cap of 3: twelve created, nine revoked, each handle once", async () => {
    const t = instance({ maxSessionsPerUser: 3 });
    try {
      const user = uniqueName("cov-capc");
      const signed = await Promise.all(Array.from({ length: 12 }, () => signIn(t, user)));
      await t.settled();
      const created = t.rec.events.filter((e) => e.name === "created").map((e) => e.event.handle);
      const revoked = t.rec.events.filter((e) => e.name === "revoked").map((e) => e.event.handle);
      expect(created.sort()).toEqual(signed.map((s) => s.handle).sort());
      expect(revoked.length).toBe(9);
      expect(new Set(revoked).size).toBe(9);
      expect(t.rec.events.filter((e) => e.name === "revoked").every((e) => e.event.reason === "maxSessionsPerUser")).toBe(true);
      const alive = await t.sessions.getAllSessionHandlesForUser(user);
      expect(alive.length).toBe(3);
      expect(alive.filter((h) => revoked.includes(h))).toEqual([]);
    } finally {
      await t.sessions.close();
    }
  });
});

describe("max lifetime", () => {
  it("a refresh past maxLifetime: one revoked event with reason maxLifetime, none for a second try", async () => {
    const t = instance({ maxLifetime: 3600, accessTokenTtl: 600 });
    try {
      const { client, handle } = await signIn(t, "cov-lifetime");
      t.clock.advance(1800_000);
      expect((await client.refresh()).status).toBe(200);
      t.clock.advance(1801_000);
      const late = twin(t, client);
      expect((await client.refresh()).status).toBe(401);
      expect((await late.refresh()).status).toBe(401);
      await t.settled();
      expect(t.rec.events.map((e) => `${e.name}${e.event.reason ? `:${e.event.reason}` : ""}`)).toEqual([
        "created",
        "refreshed",
        "claimsRefreshed", // the plan claim was older than its maxAgeSeconds at that refresh
        "revoked:maxLifetime",
      ]);
      expect(t.rec.events[3]?.event).toMatchObject({ handle, userId: "cov-lifetime" });
    } finally {
      await t.sessions.close();
    }
  });
});

describe("theft through Yoga's refresh route", () => {
  it("the old refresh token after the grace window: theft and revoked once each, then nothing more", async () => {
    let now = Date.parse("2026-03-01T12:00:00Z");
    const rec = recorder();
    const harness = await startHarness(db, { transport: "http", sessions: { now: () => now, on: rec.on } });
    try {
      const client = harness.client(() => now);
      await client.gql('mutation { signIn(userId: "cov-gql-theft") }');
      const thief = harness.client(() => now);
      const refresh = client.jar.get("sRefreshToken");
      if (refresh) thief.jar.set("sRefreshToken", refresh, "/auth/session/refresh");
      expect((await client.refresh()).status).toBe(200);
      now += 11_000;
      expect((await Promise.all([thief.refresh(), thief.refresh()])).map((r) => r.status)).toEqual([401, 401]);
      expect((await client.refresh()).status).toBe(401);
      await engineOf(harness.sessions).events.settled();
      expect([
        rec.count("created"),
        rec.count("refreshed"),
        rec.count("theft"),
        rec.count("revoked", "theft"),
        rec.count("revoked"),
      ]).toEqual([1, 1, 1, 1, 1]);
    } finally {
      await harness.close();
    }
  });
});
