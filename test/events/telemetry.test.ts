// OpenTelemetry with the SDK's in-memory exporters, on Postgres and PGlite: spans for sign-in,
// refresh, revocation and store calls (query counts equal to the statements the driver sent),
// through the core, a real tRPC client and Yoga; counters, the store histogram, the listener
// gauges; error status on failures; no token, key, payload or session data anywhere; and an
// instance made before the SDK was registered records nothing and wraps nothing.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineOf } from "../../src/core/internal.js";
import { type CreateSessionsOptions, type Sessions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { startHarness } from "../graphql/harness.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type DbKind, DATABASE_URL, type TestDb, createTestDb } from "../helpers/db.js";
import { type ReadableSpan, childrenOf, otel, registerOtel } from "../helpers/otel.js";
import { createClient, serveApp, uniqueName } from "../trpc/harness.js";

const kinds: DbKind[] = DATABASE_URL ? ["postgres", "pglite"] : ["pglite"];
const dbs = new Map<DbKind, TestDb>();
let sdk: ReturnType<typeof registerOtel>;
// Made before the SDK is registered: it must stay inert for good.
let early: { sessions: Sessions; store: unknown; db: TestDb };

beforeAll(async () => {
  for (const kind of kinds) dbs.set(kind, await createTestDb(kind));
  const db = dbs.get(kinds[0] as DbKind) as TestDb;
  const store = drizzleStore(db.db);
  early = { sessions: createSessions({ store, cookies: { secure: false }, telemetry: otel }), store, db };
  sdk = registerOtel();
});
afterAll(async () => {
  await early?.sessions.close();
  await sdk?.shutdown();
  for (const db of dbs.values()) await db.close();
});

function instance(db: TestDb, options: Partial<CreateSessionsOptions> = {}) {
  const clock = testClock();
  const sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false }, now: clock.now, telemetry: otel, ...options });
  const app = createTestApp(sessions);
  return { sessions, clock, client: () => new TestClient(app, clock.now) };
}

/** Another client (a second tab, a thief) holding the same cookies. */
function twin(t: ReturnType<typeof instance>, client: TestClient): TestClient {
  const other = t.client();
  for (const [name, path] of [
    ["sAccessToken", "/"],
    ["sRefreshToken", "/auth/session/refresh"],
  ] as const) {
    const value = client.jar.get(name);
    if (value) other.jar.set(name, value, path);
  }
  return other;
}

const finished = () => sdk.spans.getFinishedSpans();
const named = (name: string) => finished().filter((s) => s.name === name);
const operations = () => finished().filter((s) => !s.name.startsWith("sessionkit.store."));
const attr = (span: ReadableSpan | undefined, key: string) => span?.attributes[key];

/** Each operation span's query count is the sum of its store spans', and each store span is one call. */
function expectCountsAddUp(span: ReadableSpan): number {
  const children = childrenOf(finished(), span).filter((s) => s.name.startsWith("sessionkit.store."));
  const fromChildren = children.reduce((n, s) => n + Number(attr(s, "sessionkit.queries")), 0);
  expect(attr(span, "sessionkit.queries")).toBe(fromChildren);
  return fromChildren;
}

describe.each(kinds)("spans and metrics on %s", (kind) => {
  let db: TestDb;
  beforeAll(() => {
    db = dbs.get(kind) as TestDb;
  });

  it("sign-in, verification, refresh, sign-out: one span each, query counts equal to the statements sent", async () => {
    const t = instance(db);
    try {
      await sdk.collect(); // from here on
      sdk.spans.reset();
      db.queries.reset();
      const client = t.client();
      expect((await client.call("/login", { body: { userId: "otel-core" } })).status).toBe(200);
      const signInStatements = db.queries.count;
      const [signIn] = named("sessionkit.createNewSession");
      expect(signIn?.attributes).toMatchObject({ "sessionkit.transfer": "cookie", "sessionkit.queries": signInStatements });
      // The first sign-in of an instance loads (and here creates) the keys, inside its span.
      expect(signInStatements).toBeGreaterThanOrEqual(2);
      expectCountsAddUp(signIn as ReadableSpan);
      expect(childrenOf(finished(), signIn as ReadableSpan).map((s) => s.name)).toContain("sessionkit.store.createSession");

      // Verification: cached since sign-in, no span, no query.
      sdk.spans.reset();
      db.queries.reset();
      for (let i = 0; i < 3; i++) expect((await client.call("/me")).status).toBe(200);
      expect(finished()).toEqual([]);
      expect(db.queries.count).toBe(0);

      db.queries.reset();
      expect((await client.refresh()).status).toBe(200);
      const [refresh] = named("sessionkit.refresh");
      expect(refresh?.attributes).toMatchObject({ "sessionkit.refresh.grace": false, "sessionkit.queries": db.queries.count });
      expect(expectCountsAddUp(refresh as ReadableSpan)).toBe(1); // the one rotation statement
      expect(refresh?.status.code).toBe(otel.SpanStatusCode.UNSET);

      db.queries.reset();
      expect((await client.call("/auth/signout", { method: "POST" })).status).toBe(200);
      const [revoke] = named("sessionkit.revoke");
      expect(revoke?.attributes).toMatchObject({
        "sessionkit.revocation.by": "handle",
        "sessionkit.revocation.reason": "signOut",
        "sessionkit.revocation.sessions": 1,
        "sessionkit.queries": 1,
      });
      expect(db.queries.count).toBe(1);
      expect(operations().map((s) => s.name)).toEqual(["sessionkit.refresh", "sessionkit.revoke"]);

      const after = await sdk.collect();
      const delta = (name: string, attributes?: Record<string, unknown>) => after.total(name, attributes);
      expect(delta("sessionkit.sign_ins")).toBe(1);
      expect(delta("sessionkit.refreshes", { "sessionkit.refresh.grace": false })).toBe(1);
      expect(delta("sessionkit.revocations", { "sessionkit.revocation.reason": "signOut" })).toBe(1);
      expect(delta("sessionkit.thefts")).toBe(0);
      // /me three times on the token signed at sign-in; the sign-out request verified the refreshed one.
      expect(delta("sessionkit.token_cache.hits")).toBe(4);
      expect(delta("sessionkit.token_cache.misses")).toBe(0);
      expect(delta("sessionkit.store.duration", { "sessionkit.store.method": "rotateRefresh" })).toBe(1);
      expect(delta("sessionkit.store.duration", { "sessionkit.store.method": "revoke" })).toBe(1);
      expect(delta("sessionkit.store.duration")).toBe(signInStatements + 2);
      const [rotation] = after.points("sessionkit.store.duration", { "sessionkit.store.method": "rotateRefresh" });
      expect((rotation?.value as { sum: number } | undefined)?.sum).toBeGreaterThan(0);
    } finally {
      await t.sessions.close();
    }
  });

  it("a token this instance did not sign is a cache miss, then a hit", async () => {
    const signer = instance(db);
    const other = instance(db);
    try {
      const client = signer.client();
      await client.call("/login", { body: { userId: "otel-cache" } });
      await sdk.collect(); // from here on
      const elsewhere = twin(other, client);
      expect((await elsewhere.call("/me")).status).toBe(200);
      expect((await elsewhere.call("/me")).status).toBe(200);
      const after = await sdk.collect();
      expect(after.total("sessionkit.token_cache.misses")).toBe(1);
      expect(after.total("sessionkit.token_cache.hits")).toBe(1);
    } finally {
      await Promise.all([signer.sessions.close(), other.sessions.close()]);
    }
  });

  it("five tabs refreshing in the grace window, then theft: spans, outcomes and counters exact", async () => {
    const t = instance(db);
    try {
      const client = t.client();
      await client.call("/login", { body: { userId: "otel-theft" } });
      const thief = twin(t, client);
      const tabs = Array.from({ length: 5 }, () => twin(t, client));
      await sdk.collect(); // from here on
      sdk.spans.reset();
      expect((await Promise.all(tabs.map((tab) => tab.refresh()))).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const refreshes = named("sessionkit.refresh");
      expect(refreshes.map((s) => attr(s, "sessionkit.refresh.grace")).sort()).toEqual([false, true, true, true, true]);
      for (const span of refreshes) expectCountsAddUp(span);

      t.clock.advance(11_000);
      sdk.spans.reset();
      expect((await thief.refresh()).status).toBe(401);
      const [stolen] = named("sessionkit.refresh");
      expect(stolen?.status).toMatchObject({ code: otel.SpanStatusCode.ERROR });
      expect(stolen?.status.message).toMatch(/^TOKEN_THEFT_DETECTED: /);
      expect(attr(stolen, "error.type")).toBe("TOKEN_THEFT_DETECTED");
      const [revoke] = childrenOf(finished(), stolen as ReadableSpan).filter((s) => s.name === "sessionkit.revoke");
      expect(revoke?.attributes).toMatchObject({ "sessionkit.revocation.reason": "theft", "sessionkit.revocation.sessions": 1 });
      // The rotation statement, then the revocation's (counted in the refresh span through its child).
      expect(attr(stolen, "sessionkit.queries")).toBe(2);

      const after = await sdk.collect();
      const delta = (name: string, attributes?: Record<string, unknown>) => after.total(name, attributes);
      expect(delta("sessionkit.refreshes", { "sessionkit.refresh.grace": false })).toBe(1);
      expect(delta("sessionkit.refreshes", { "sessionkit.refresh.grace": true })).toBe(4);
      expect(delta("sessionkit.refreshes", { "error.type": "TOKEN_THEFT_DETECTED" })).toBe(1);
      expect(delta("sessionkit.thefts")).toBe(1);
      expect(delta("sessionkit.revocations", { "sessionkit.revocation.reason": "theft" })).toBe(1);
    } finally {
      await t.sessions.close();
    }
  });

  it("revocation by handle and by user: one span per call, the counter per session", async () => {
    const t = instance(db);
    try {
      const user = uniqueName("otel-rev");
      const handles: string[] = [];
      for (let i = 0; i < 3; i++) {
        const reply = await t.client().call("/login", { body: { userId: user } });
        handles.push(((await reply.json()) as { handle: string }).handle);
      }
      await sdk.collect(); // from here on
      sdk.spans.reset();
      expect(await t.sessions.revokeSession(handles[0] as string)).toBe(true);
      expect(await t.sessions.revokeSession(handles[0] as string)).toBe(false);
      expect((await t.sessions.revokeAllSessionsForUser(user)).length).toBe(2);
      expect(
        named("sessionkit.revoke").map((s) => [attr(s, "sessionkit.revocation.by"), attr(s, "sessionkit.revocation.sessions")]),
      ).toEqual([
        ["handle", 1],
        ["handle", 0],
        ["user", 2],
      ]);
      const after = await sdk.collect();
      const delta = (reason: string) => after.total("sessionkit.revocations", { "sessionkit.revocation.reason": reason });
      expect([delta("revokedByHandle"), delta("revokedByUser")]).toEqual([1, 2]);
    } finally {
      await t.sessions.close();
    }
  });

  it("a failing store call: error status and kind on the store span and its operation, no driver text", async () => {
    const t = instance(db, { onWarning: () => {} });
    let away = false;
    try {
      const client = t.client();
      await client.call("/login", { body: { userId: "otel-outage" } });
      await db.exec("ALTER TABLE sessionkit_sessions RENAME TO sessionkit_sessions_away");
      away = true;
      await sdk.collect(); // from here on
      sdk.spans.reset();
      expect((await client.refresh()).status).toBe(500);
      const [refresh] = named("sessionkit.refresh");
      expect(refresh?.status).toEqual({ code: otel.SpanStatusCode.ERROR, message: "GENERAL_ERROR: sessionkit: the session store failed" });
      expect(attr(refresh, "error.type")).toBe("GENERAL_ERROR");
      const [rotate] = named("sessionkit.store.rotateRefresh");
      expect(rotate?.status).toEqual({ code: otel.SpanStatusCode.ERROR, message: "42P01" });
      expect(attr(rotate, "error.type")).toBe("42P01");
      const after = await sdk.collect();
      expect(after.total("sessionkit.store.duration", { "sessionkit.store.method": "rotateRefresh", "error.type": "42P01" })).toBe(1);
      expect(after.total("sessionkit.refreshes", { "error.type": "GENERAL_ERROR" })).toBe(1);
    } finally {
      if (away) await db.exec("ALTER TABLE sessionkit_sessions_away RENAME TO sessionkit_sessions");
      await t.sessions.close();
    }
  });

  it('revocation "notify": the listener gauge is 1 once caught up, the lag is observed on Postgres, nothing after close', async () => {
    const t = instance(db, { revocation: "notify", notifyChannel: `sk_otel_${kind}_${process.pid}`, notifyHeartbeatMs: 50 });
    let closed = false;
    try {
      await expect.poll(() => engineOf(t.sessions).revocation.live?.(), { timeout: 10_000 }).toBe(true);
      const snapshot = await sdk.collect();
      expect(snapshot.gauge("sessionkit.notify.listening")).toBe(1);
      if (kind === "postgres") {
        await expect.poll(async () => (await sdk.collect()).gauge("sessionkit.notify.lag"), { timeout: 5000 }).toBeGreaterThan(0);
        const lag = (await sdk.collect()).gauge("sessionkit.notify.lag") as number;
        console.log(`${kind}: notify lag gauge ${(lag * 1000).toFixed(2)} ms`);
        expect(lag).toBeLessThan(1);
      } else {
        // PGlite's in-process listener sends no probe: no lag to report.
        expect(snapshot.gauge("sessionkit.notify.lag")).toBeUndefined();
      }
      await t.sessions.close();
      closed = true;
      expect((await sdk.collect()).gauge("sessionkit.notify.listening")).toBeUndefined();
    } finally {
      if (!closed) await t.sessions.close();
    }
  });
});

describe("through the adapters", () => {
  const db = () => dbs.get(kinds[0] as DbKind) as TestDb;

  it("tRPC (the example app, a real client): sign-up, a silent refresh, sign-out", async () => {
    let now = Date.parse("2026-03-01T12:00:00Z");
    const served = await serveApp("fetch", {
      db: db().db,
      sessionsOptions: { accessTokenTtl: 60, cookies: { secure: false }, now: () => now, telemetry: otel },
    });
    try {
      await sdk.collect(); // from here on
      sdk.spans.reset();
      const { trpc } = createClient(served.url, { now: () => now });
      await trpc.signUp.mutate({ name: uniqueName("otel"), password: "correct horse battery" });
      await trpc.me.query();
      now += 61_000;
      await Promise.all([trpc.me.query(), trpc.me.query()]);
      await trpc.signOut.mutate();
      expect(operations().map((s) => s.name)).toEqual(["sessionkit.createNewSession", "sessionkit.refresh", "sessionkit.revoke"]);
      for (const span of operations()) expectCountsAddUp(span);
      expect(attr(named("sessionkit.revoke")[0], "sessionkit.revocation.reason")).toBe("signOut");
      const after = await sdk.collect();
      const delta = (name: string) => after.total(name);
      expect([delta("sessionkit.sign_ins"), delta("sessionkit.refreshes"), delta("sessionkit.revocations")]).toEqual([1, 1, 1]);
      expect(delta("sessionkit.token_cache.hits")).toBeGreaterThanOrEqual(2);
      expect(delta("sessionkit.token_cache.misses")).toBeGreaterThanOrEqual(1); // the expired token
    } finally {
      await served.close();
    }
  });

  it("GraphQL (Yoga with useSessions): sign-in mutation, the refresh route, sign-out mutation", async () => {
    let now = Date.parse("2026-03-01T12:00:00Z");
    const harness = await startHarness(db(), { transport: "http", sessions: { accessTokenTtl: 60, now: () => now, telemetry: otel } });
    try {
      sdk.spans.reset();
      const client = harness.client(() => now);
      await client.gql('mutation { signIn(userId: "otel-gql") }');
      now += 61_000;
      expect((await client.gql("{ me }")).status).toBe(401);
      expect((await client.refresh()).status).toBe(200);
      expect((await client.gql("{ me }")).body.data).toEqual({ me: "otel-gql" });
      expect((await client.gql("mutation { signOut }")).body.data).toEqual({ signOut: true });
      expect(operations().map((s) => s.name)).toEqual(["sessionkit.createNewSession", "sessionkit.refresh", "sessionkit.revoke"]);
      for (const span of operations()) expectCountsAddUp(span);
      expect(finished().filter((s) => s.name.startsWith("sessionkit.store.")).length).toBeGreaterThanOrEqual(3);
    } finally {
      await harness.close();
    }
  });
});

describe("no secret in a span or a metric", () => {
  it("holds no token, refresh secret, anti-CSRF token, key, payload, session data, user id or handle", async () => {
    const db = dbs.get(kinds[0] as DbKind) as TestDb;
    // Keys kept in plaintext (no secret), so the scan below looks for the private key material itself.
    const t = instance(db, { antiCsrf: "via-token", onWarning: () => {} });
    try {
      sdk.spans.reset();
      const client = t.client();
      const userId = uniqueName("otel-private-user");
      const reply = await client.call("/login", { body: { userId, payload: { plan: "private-plan" }, data: { note: "private-note" } } });
      const { handle } = (await reply.json()) as { handle: string };
      const first = [client.jar.get("sAccessToken") ?? "", client.jar.get("sRefreshToken") ?? "", client.antiCsrf ?? ""];
      const thief = twin(t, client);
      expect((await client.refresh()).status).toBe(200);
      const second = [client.jar.get("sAccessToken") ?? "", client.jar.get("sRefreshToken") ?? ""];
      t.clock.advance(11_000);
      expect((await thief.refresh()).status).toBe(401);
      const keyText = JSON.stringify(await db.exec("SELECT private_jwk FROM sessionkit_keys"));
      const keyParts = [...keyText.matchAll(/[A-Za-z0-9_-]{32,}/g)].map((m) => m[0]);
      const text =
        JSON.stringify(finished().map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events }))) +
        JSON.stringify(
          (await sdk.collect()).metrics.map((m) => ({ name: m.descriptor.name, points: m.dataPoints.map((p) => p.attributes) })),
        );
      const secrets = [...first, ...second, ...[...first, ...second].flatMap((v) => v.split("."))].filter((s) => s.length >= 16);
      expect(secrets.length).toBeGreaterThan(6);
      expect(keyParts.length).toBeGreaterThan(0);
      expect([...secrets, ...keyParts].filter((s) => text.includes(s))).toEqual([]);
      for (const word of ["private-plan", "private-note", userId, handle]) expect(text).not.toContain(word);
      expect(finished().length).toBeGreaterThan(4);
    } finally {
      await t.sessions.close();
    }
  });
});

describe("without an SDK at createSessions", () => {
  it("records nothing and leaves the store unwrapped, even once an SDK is registered later", async () => {
    expect(engineOf(early.sessions).options.store).toBe(early.store);
    expect(engineOf(early.sessions).telemetry.active).toBe(false);
    await sdk.collect(); // from here on
    sdk.spans.reset();
    const app = createTestApp(early.sessions);
    const client = new TestClient(app);
    expect((await client.call("/login", { body: { userId: "otel-early" } })).status).toBe(200);
    expect((await client.call("/me")).status).toBe(200);
    expect((await client.refresh()).status).toBe(200);
    expect((await client.call("/auth/signout", { method: "POST" })).status).toBe(200);
    expect(finished()).toEqual([]);
    const after = await sdk.collect();
    for (const name of [
      "sessionkit.sign_ins",
      "sessionkit.refreshes",
      "sessionkit.revocations",
      "sessionkit.token_cache.hits",
      "sessionkit.store.duration",
    ])
      expect(after.total(name)).toBe(0);
  });

  it("refuses a telemetry option that is not the @opentelemetry/api module", () => {
    const db = dbs.get(kinds[0] as DbKind) as TestDb;
    expect(() => createSessions({ store: drizzleStore(db.db), telemetry: {} as never })).toThrow(
      /sessionkit: telemetry must be the @opentelemetry\/api module/,
    );
    expect(() => createSessions({ store: drizzleStore(db.db), telemetri: otel } as never)).toThrow(/did you mean "telemetry"/);
  });
});
