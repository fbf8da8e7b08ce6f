// Every database-call count of SESSION-MODEL.md, counted on the driver (after key warm-up).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RevocationMode, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

describe.each(availableKinds)("query counts on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());

  async function warmSessions(revocation: RevocationMode = "none") {
    const clock = testClock();
    const sessions = createSessions({
      store: drizzleStore(db.db),
      now: clock.now,
      revocation,
      antiCsrf: "via-token",
      // Test files share one database: a channel of our own keeps their notices apart.
      notifyChannel: `qc_${Math.random().toString(36).slice(2, 10)}`,
    });
    // Key loading is cached per process and not counted after the first request.
    await sessions.createNewSession({ userId: "warm-up" }, new Headers());
    if (revocation === "notify") {
      await sessions.revokeSession("00000000-0000-4000-8000-000000000000");
      await new Promise((r) => setTimeout(r, 200));
    }
    return { sessions, clock };
  }

  async function count<T>(fn: () => Promise<T>): Promise<{ value: T; queries: number; log: string[] }> {
    db.queries.reset();
    const value = await fn();
    return { value, queries: db.queries.count, log: [...db.queries.log] };
  }

  function requestFor(headers: Headers, method = "GET") {
    const cookies = headers.getSetCookie().map((l) => l.split(";")[0]);
    const requestHeaders = new Headers({ cookie: cookies.join("; ") });
    const anti = headers.get("anti-csrf");
    if (anti) requestHeaders.set("anti-csrf", anti);
    requestHeaders.set("rid", "session");
    return new Request("http://localhost/x", { method, headers: requestHeaders });
  }

  it("the session object's calls cost exactly what the model says", async () => {
    const { sessions } = await warmSessions();
    const created = await count(() => sessions.createNewSession({ userId: "u", jwtPayload: { a: 1 } }, new Headers()));
    expect(created.queries).toBe(1);

    const headers = new Headers();
    await sessions.createNewSession({ userId: "u2" }, headers);
    const got = await count(() => sessions.getSession(requestFor(headers), new Headers()));
    expect(got.queries).toBe(0);
    const s = got.value;
    expect((await count(async () => [s.getUserId(), s.getHandle(), s.getJWTPayload()])).queries).toBe(0);
    expect((await count(() => s.updateJWTPayload({ b: 2 }))).queries).toBe(1);
    expect((await count(() => s.getSessionData())).queries).toBe(1);
    expect((await count(() => s.updateSessionData({ c: 3 }))).queries).toBe(1);
    expect((await count(() => s.modifySessionData(() => ({ d: 4 })))).queries).toBe(2);
    expect((await count(() => s.revokeSession())).queries).toBe(1);
  });

  it("a refresh is exactly one round trip; a theft costs one more to revoke", async () => {
    const { sessions, clock } = await warmSessions();
    const headers = new Headers();
    await sessions.createNewSession({ userId: "r" }, headers);
    const first = requestFor(headers, "POST");
    const refreshed = await count(() =>
      sessions.handle(new Request("http://localhost/auth/session/refresh", { method: "POST", headers: first.headers })),
    );
    expect(refreshed.value?.status).toBe(200);
    expect(refreshed.queries).toBe(1);
    expect(refreshed.log[0]).toMatch(/^update "sessionkit_sessions"/);
    clock.advance(60_000);
    const theft = await count(() =>
      sessions.handle(new Request("http://localhost/auth/session/refresh", { method: "POST", headers: first.headers })),
    );
    expect(theft.value?.status).toBe(401);
    expect(theft.queries).toBe(2);
  });

  it("verification: 0 queries with revocation none, 1 with check-database", async () => {
    for (const [mode, expected] of [
      ["none", 0],
      ["check-database", 1],
    ] as const) {
      const { sessions } = await warmSessions(mode);
      const headers = new Headers();
      await sessions.createNewSession({ userId: `v-${mode}` }, headers);
      for (let i = 0; i < 3; i++) {
        const got = await count(() => sessions.getSession(requestFor(headers), new Headers()));
        expect(got.queries).toBe(expected);
      }
    }
  });

  it("verification with revocation notify costs 0 queries once the listener is live", async () => {
    const { sessions } = await warmSessions("notify");
    const headers = new Headers();
    await sessions.createNewSession({ userId: "n" }, headers);
    // Until the listener is live, verification checks the store (fail closed). On two loaded cores
    // the LISTEN can take longer than the warm-up's 200 ms: wait for the first free verification.
    const deadline = Date.now() + 10_000;
    while ((await count(() => sessions.getSession(requestFor(headers), new Headers()))).queries > 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < 3; i++) {
      expect((await count(() => sessions.getSession(requestFor(headers), new Headers()))).queries).toBe(0);
    }
    await sessions.close();
  });

  it("with revocation notify a revocation is still one round trip (coalescing only joins concurrent ones)", async () => {
    const { sessions } = await warmSessions("notify");
    const headers = new Headers();
    await sessions.createNewSession({ userId: "rn" }, headers);
    const s = await sessions.getSession(requestFor(headers), new Headers());
    expect((await count(() => s.revokeSession())).queries).toBe(1);
    const other = await sessions.createNewSession({ userId: "rn" }, new Headers());
    expect((await count(() => sessions.revokeSession(other.getHandle()))).queries).toBe(1);
    expect((await count(() => sessions.revokeAllSessionsForUser("rn"))).queries).toBe(1);
    await sessions.close();
  });

  it("handle- and user-level calls are one round trip each; JWKS is served from memory", async () => {
    const { sessions } = await warmSessions();
    const s = await sessions.createNewSession({ userId: "h" }, new Headers());
    const h = s.getHandle();
    expect((await count(() => sessions.getSessionInformation(h))).queries).toBe(1);
    expect((await count(() => sessions.getAllSessionHandlesForUser("h"))).queries).toBe(1);
    expect((await count(() => sessions.updateSessionData(h, { x: 1 }))).queries).toBe(1);
    expect((await count(() => sessions.updateJWTPayload(h, { x: 1 }))).queries).toBe(1);
    expect((await count(() => sessions.revokeAllSessionsForUser("h"))).queries).toBe(1);
    expect((await count(() => sessions.revokeSession(h))).queries).toBe(1);
    expect((await count(() => sessions.jwks())).queries).toBe(0);
    expect((await count(() => sessions.cleanup())).queries).toBe(1);
  });
});
