// Lifecycle events on the core paths: sign-in, the refresh route (once per rotation, also when
// tabs refresh at once in the grace window), sign-out, revocation by handle and by user, theft;
// each exactly once, after the change, on the instance that made it; hooks that throw, reject or
// hang neither break nor delay the response; no secret in any event.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineOf } from "../../src/core/internal.js";
import { type CreateSessionsOptions, type SessionEvent, type SessionEventName, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.close());

type Recorded = { name: SessionEventName; event: SessionEvent };

function instance(options: Partial<CreateSessionsOptions> = {}) {
  const clock = testClock();
  const events: Recorded[] = [];
  const warnings: { message: string; error: unknown }[] = [];
  const record = (name: SessionEventName) => (event: SessionEvent) => {
    events.push({ name, event });
  };
  const sessions = createSessions({
    store: drizzleStore(db.db),
    cookies: { secure: false },
    now: clock.now,
    onWarning: (message, error) => warnings.push({ message, error }),
    on: { created: record("created"), refreshed: record("refreshed"), revoked: record("revoked"), theft: record("theft") },
    ...options,
  });
  const routes = createTestApp(sessions);
  // Sign-in with the request, as the adapters do: the event gets the device's User-Agent.
  const app = async (request: Request): Promise<Response> => {
    if (new URL(request.url).pathname !== "/login") return routes(request);
    const body = (await request.json()) as { userId: string; payload?: Record<string, unknown>; data?: unknown };
    const headers = new Headers({ "content-type": "application/json" });
    const session = await sessions.createNewSession(
      { userId: body.userId, jwtPayload: body.payload, sessionData: body.data },
      headers,
      request,
    );
    return new Response(JSON.stringify({ handle: session.getHandle() }), { headers });
  };
  return {
    sessions,
    clock,
    events,
    warnings,
    client: () => new TestClient(app, clock.now),
    /** Every hook started so far has finished. */
    settled: () => engineOf(sessions).events.settled(),
    count: (name: SessionEventName) => events.filter((e) => e.name === name).length,
  };
}

/** Another client (a second tab, a thief) holding the same cookies. */
function twin(t: ReturnType<typeof instance>, client: TestClient): TestClient {
  const other = t.client();
  const access = client.jar.get("sAccessToken");
  const refresh = client.jar.get("sRefreshToken");
  if (access) other.jar.set("sAccessToken", access, "/");
  if (refresh) other.jar.set("sRefreshToken", refresh, "/auth/session/refresh");
  return other;
}

async function signIn(t: ReturnType<typeof instance>, userId: string) {
  const client = t.client();
  const response = await client.call("/login", { body: { userId }, headers: { "user-agent": "Firefox/128 test" } });
  const { handle } = (await response.json()) as { handle: string };
  return { client, handle };
}

describe("events on the core paths", () => {
  let t: ReturnType<typeof instance>;
  beforeAll(() => {
    t = instance();
  });
  afterAll(() => t.sessions.close());

  it("created: once per sign-in, with handle, user, time and user agent, after the row exists", async () => {
    const seen: boolean[] = [];
    const probe = instance({
      on: {
        async created(event) {
          seen.push((await probe.sessions.getSessionInformation(event.handle)) !== undefined);
        },
      },
    });
    const { handle } = await signIn(t, "ev-created");
    await signIn(probe, "ev-committed");
    await Promise.all([t.settled(), probe.settled()]);
    expect(t.events).toEqual([
      { name: "created", event: { handle, userId: "ev-created", at: new Date(t.clock.now()), userAgent: "Firefox/128 test" } },
    ]);
    expect(seen).toEqual([true]);
    await probe.sessions.close();
  });

  it("refreshed: once per rotation, also when five tabs refresh at once in the grace window", async () => {
    t.events.length = 0;
    const { client, handle } = await signIn(t, "ev-refresh");
    const tabs = Array.from({ length: 5 }, () => twin(t, client));
    const replies = await Promise.all(tabs.map((tab) => tab.refresh()));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await t.settled();
    expect(t.events.map((e) => e.name)).toEqual(["created", "refreshed"]);
    expect(t.events[1]?.event).toMatchObject({ handle, userId: "ev-refresh" });
    // A second, sequential rotation is a second refresh.
    expect((await tabs[0]?.refresh())?.status).toBe(200);
    await t.settled();
    expect(t.count("refreshed")).toBe(2);
    expect(t.count("theft")).toBe(0);
  });

  it("theft: the old token after the grace window, once as theft and once as revoked", async () => {
    t.events.length = 0;
    const { client, handle } = await signIn(t, "ev-theft");
    const thief = twin(t, client);
    expect((await client.refresh()).status).toBe(200);
    t.clock.advance(11_000);
    const stolen = await Promise.all([thief.refresh(), thief.refresh()]);
    expect(stolen.map((r) => r.status)).toEqual([401, 401]);
    await t.settled();
    const ended = { handle, userId: "ev-theft", at: new Date(t.clock.now()), reason: "theft" };
    expect(t.events.filter((e) => e.name !== "created" && e.name !== "refreshed")).toEqual([
      { name: "revoked", event: ended },
      { name: "theft", event: ended },
    ]);
  });

  it("revoked: sign-out, by handle and by user, each with its reason, once", async () => {
    t.events.length = 0;
    const a = await signIn(t, "ev-revoke");
    const b = await signIn(t, "ev-revoke");
    const c = await signIn(t, "ev-revoke");
    const d = await signIn(t, "ev-revoke");
    expect((await a.client.call("/auth/signout", { method: "POST" })).status).toBe(200);
    expect(await t.sessions.revokeSession(b.handle)).toBe(true);
    expect(await t.sessions.revokeSession(b.handle)).toBe(false); // already gone: no second event
    expect((await t.sessions.revokeAllSessionsForUser("ev-revoke")).sort()).toEqual([c.handle, d.handle].sort());
    await t.settled();
    const revoked = t.events.filter((e) => e.name === "revoked").map((e) => [e.event.handle, e.event.reason]);
    expect(revoked.slice(0, 2)).toEqual([
      [a.handle, "signOut"],
      [b.handle, "revokedByHandle"],
    ]);
    expect(revoked.slice(2).sort()).toEqual(
      [
        [c.handle, "revokedByUser"],
        [d.handle, "revokedByUser"],
      ].sort(),
    );
  });
});

describe("hooks that fail", () => {
  it("a throwing, a rejecting and a hanging hook: the response is not delayed, each is reported", async () => {
    let release: () => void = () => {};
    const t = instance({
      storeTimeoutMs: 300,
      on: {
        created() {
          throw new Error("hook exploded");
        },
        refreshed: async () => {
          throw new Error("hook rejected");
        },
        revoked: () => new Promise<void>((resolve) => (release = resolve)), // never settles by itself
      },
    });
    const started = performance.now();
    const { client, handle } = await signIn(t, "ev-failing");
    expect((await client.refresh()).status).toBe(200);
    expect(await t.sessions.revokeSession(handle)).toBe(true);
    const elapsed = performance.now() - started;
    await t.settled();
    const settledAfter = performance.now() - started;
    release();
    console.log(`three requests with failing hooks: ${elapsed.toFixed(0)} ms; hooks settled after ${settledAfter.toFixed(0)} ms`);
    expect(elapsed).toBeLessThan(300); // did not wait for the hanging hook's 300 ms bound
    expect(settledAfter).toBeGreaterThanOrEqual(290);
    expect(t.warnings.map((w) => [w.message, (w.error as Error).message])).toEqual([
      ["sessionkit: the `created` hook failed", "hook exploded"],
      ["sessionkit: the `refreshed` hook failed", "hook rejected"],
      ["sessionkit: the `revoked` hook failed", "did not finish within 300 ms"],
    ]);
    await t.sessions.close();
  });

  it("a misspelt event name is refused at startup", () => {
    expect(() => createSessions({ store: drizzleStore(db.db), on: { revoke() {} } as never })).toThrow(
      /sessionkit: on\.revoke is not an event; the events are created, refreshed, revoked, theft, claimsRefreshed/,
    );
  });
});

describe("revocations seen through notify", () => {
  it("are reported once, by the instance that made them, not by the one that hears them", async () => {
    const a = instance({ revocation: "notify" });
    const b = instance({ revocation: "notify" });
    try {
      const { client, handle } = await signIn(a, "ev-notify");
      expect((await client.call("/me")).status).toBe(200);
      await a.sessions.revokeSession(handle);
      // B learns of it (its next check refuses the token) but reports nothing.
      const onB = twin(b, client);
      await expect.poll(async () => (await onB.call("/me")).status, { timeout: 5000 }).toBe(401);
      await Promise.all([a.settled(), b.settled()]);
      expect(a.count("revoked")).toBe(1);
      expect(b.events).toEqual([]);
    } finally {
      await Promise.all([a.sessions.close(), b.sessions.close()]);
    }
  });
});

describe("no secret in an event", () => {
  it("holds no token, refresh secret, anti-CSRF token, payload or session data", async () => {
    const t = instance({ antiCsrf: "via-token" });
    try {
      const client = t.client();
      await client.call("/login", { body: { userId: "ev-secret", payload: { plan: "private-plan" }, data: { note: "private-note" } } });
      expect((await client.refresh()).status).toBe(200);
      const old = [client.jar.get("sAccessToken") ?? "", client.jar.get("sRefreshToken") ?? ""];
      expect((await client.call("/auth/signout", { method: "POST" })).status).toBe(200);
      await t.settled();
      expect(t.events.map((e) => e.name)).toEqual(["created", "refreshed", "revoked"]);
      const text = JSON.stringify(t.events);
      const handles = new Set(t.events.map((e) => e.event.handle)); // the refresh token starts with its (public) handle
      const secrets = [...old, client.antiCsrf ?? "", ...old.flatMap((v) => v.split("."))].filter((s) => s.length >= 16 && !handles.has(s));
      expect(secrets.length).toBeGreaterThan(3);
      expect(secrets.filter((s) => text.includes(s))).toEqual([]);
      expect(text).not.toContain("private-plan");
      expect(text).not.toContain("private-note");
      for (const { event } of t.events)
        expect(Object.keys(event).every((k) => ["handle", "userId", "at", "ip", "userAgent", "reason"].includes(k))).toBe(true);
    } finally {
      await t.sessions.close();
    }
  });
});
