// Devices and lifetimes in the lifecycle events: `created` carries the device (IP as trustProxy
// finds it, bounded user agent); a sign-in beyond maxSessionsPerUser reports each evicted session
// as `revoked` with reason "maxSessionsPerUser"; a refresh refused by maxLifetime reports
// `revoked` with reason "maxLifetime" (once, and never for a session that merely idled out);
// revokeOtherSessions reports the others as "revokedByUser".

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineOf } from "../../src/core/internal.js";
import { type CreateSessionsOptions, type SessionEvent, type SessionEventName, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

describe.each(availableKinds)("device and lifetime events on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());

  const uid = () => `ev-${Math.random().toString(36).slice(2, 10)}`;

  function instance(options: Partial<CreateSessionsOptions> = {}) {
    const clock = testClock();
    const events: Array<{ name: SessionEventName; event: SessionEvent }> = [];
    const record = (name: SessionEventName) => (event: SessionEvent) => {
      events.push({ name, event });
    };
    const sessions = createSessions({
      store: drizzleStore(db.db),
      now: clock.now,
      accessTokenTtl: 60,
      on: { created: record("created"), refreshed: record("refreshed"), revoked: record("revoked"), theft: record("theft") },
      ...options,
    });
    const routes = createTestApp(sessions);
    const client = (headers: Record<string, string> = {}) =>
      new TestClient(async (request) => {
        for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
        if (new URL(request.url).pathname !== "/login") return routes(request);
        const body = (await request.json()) as { userId: string; remember?: boolean };
        const out = new Headers();
        await sessions.createNewSession({ userId: body.userId, remember: body.remember }, out, request);
        return new Response("{}", { headers: out });
      }, clock.now);
    const settled = () => engineOf(sessions).events.settled();
    return { clock, events, sessions, client, settled, of: (name: SessionEventName) => events.filter((e) => e.name === name) };
  }

  it("created carries the IP (trustProxy) and the bounded user agent; refreshed the IP of the refresh", async () => {
    const t = instance({ trustProxy: 1 });
    const headers = { "x-forwarded-for": "6.6.6.6, 203.0.113.5", "user-agent": `Phone/1 ${"x".repeat(600)}` };
    const phone = t.client(headers);
    const userId = uid();
    await phone.call("/login", { body: { userId } });
    headers["x-forwarded-for"] = "198.51.100.8";
    t.clock.advance(61_000);
    expect((await phone.refresh()).status).toBe(200);
    await t.settled();
    const [created] = t.of("created");
    expect(created?.event).toMatchObject({ userId, ip: "203.0.113.5" });
    expect(created?.event.userAgent).toHaveLength(512);
    expect(created?.event.userAgent?.startsWith("Phone/1 x")).toBe(true);
    expect(t.of("refreshed").map((e) => e.event.ip)).toEqual(["198.51.100.8"]);
    await t.sessions.close();
  });

  it("trustProxy false: no IP from a spoofed X-Forwarded-For in the event either (a fetch Request has no socket)", async () => {
    const t = instance();
    await t.client({ "x-forwarded-for": "6.6.6.6", "user-agent": "Laptop" }).call("/login", { body: { userId: uid() } });
    await t.settled();
    const [created] = t.of("created");
    expect(created?.event.userAgent).toBe("Laptop");
    expect(created?.event).not.toHaveProperty("ip");
    await t.sessions.close();
  });

  it("a sign-in beyond maxSessionsPerUser reports each evicted session as revoked (maxSessionsPerUser), once", async () => {
    const t = instance({ maxSessionsPerUser: 2 });
    const userId = uid();
    const handles: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await t.sessions.createNewSession({ userId }, new Headers());
      handles.push(s.getHandle());
      t.clock.advance(1000);
    }
    await t.settled();
    const revoked = t.of("revoked").map((e) => e.event);
    expect(revoked.map((e) => [e.handle, e.userId, e.reason])).toEqual([
      [handles[0], userId, "maxSessionsPerUser"],
      [handles[1], userId, "maxSessionsPerUser"],
    ]);
    expect(t.of("theft")).toEqual([]);
    expect(t.of("created")).toHaveLength(4);
    await t.sessions.close();
  });

  it("a refresh refused by maxLifetime reports revoked (maxLifetime) once; an idle timeout reports nothing", async () => {
    const t = instance({ maxLifetime: 3600, refreshTokenTtl: 1800 });
    const userId = uid();
    // remember: false: the refresh cookie has no expiry, so the browser still sends it after the
    // cap (a remembered one expires there and is not sent at all).
    const old = t.client();
    await old.call("/login", { body: { userId, remember: false } });
    const start = t.clock.now();
    // Kept alive by refreshes until the absolute end.
    t.clock.set(start + 1700_000);
    expect((await old.refresh()).status).toBe(200);
    t.clock.set(start + 3400_000);
    expect((await old.refresh()).status).toBe(200);
    t.clock.set(start + 3600_000);
    const refused = await old.refresh();
    expect(refused.status).toBe(401);
    expect(refused.headers.get("front-token")).toBe("remove");
    await t.settled();
    expect(t.of("revoked").map((e) => [e.event.userId, e.event.reason])).toEqual([[userId, "maxLifetime"]]);
    // The row is gone (revoked), so a second try reports nothing more.
    expect((await t.sessions.listSessions(userId)).length).toBe(0);

    // A session that idles out (refreshTokenTtl) before its maxLifetime is not revoked by a late refresh.
    const idle = t.client();
    const idleUser = uid();
    await idle.call("/login", { body: { userId: idleUser, remember: false } });
    t.clock.advance(1900_000);
    expect((await idle.refresh()).status).toBe(401);
    await t.settled();
    expect(t.of("revoked").filter((e) => e.event.userId === idleUser)).toEqual([]);
    await t.sessions.close();
  });

  it("revokeOtherSessions reports the others as revokedByUser, not the current one", async () => {
    const t = instance();
    const userId = uid();
    const mine = await t.sessions.createNewSession({ userId }, new Headers());
    const other = await t.sessions.createNewSession({ userId }, new Headers());
    const third = await t.sessions.createNewSession({ userId }, new Headers());
    await mine.revokeOtherSessions();
    await t.settled();
    expect(
      t
        .of("revoked")
        .map((e) => [e.event.handle, e.event.reason])
        .sort(),
    ).toEqual(
      [
        [other.getHandle(), "revokedByUser"],
        [third.getHandle(), "revokedByUser"],
      ].sort(),
    );
    await t.sessions.close();
  });
});
