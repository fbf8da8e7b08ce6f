// The SessionStore contract, run on every driver we ship: each method's meaning, and that
// each is exactly one round trip.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewSessionRecord, RotateRefreshInput, SessionStore } from "../../src/index.js";
import { drizzleStore, migrate } from "../../src/storage/index.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

const T0 = new Date("2026-05-01T00:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
let n = 0;
const handle = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

describe.each(availableKinds)("store contract on %s", (kind) => {
  let db: TestDb;
  let store: SessionStore;
  beforeAll(async () => {
    db = await createTestDb(kind);
    store = drizzleStore(db.db);
  });
  afterAll(() => db.close());

  async function one<T>(fn: () => Promise<T>): Promise<T> {
    db.queries.reset();
    const value = await fn();
    expect(db.queries.count, db.queries.log.join("\n")).toBe(1);
    return value;
  }

  async function create(userId = "user", expiresIn = 3600) {
    const h = handle();
    await one(() =>
      store.createSession({
        handle: h,
        userId,
        jwtPayload: { role: "x", nested: { a: [1, "two", null] } },
        sessionData: { cart: ["a"] },
        refreshHash: `hash-${h}`,
        createdAt: T0,
        expiresAt: at(expiresIn),
      }),
    );
    return h;
  }

  it("creates and reads a session, with JSON kept exactly", async () => {
    const h = await create("alice");
    const row = await one(() => store.getSession(h, at(1)));
    expect(row).toEqual({
      handle: h,
      userId: "alice",
      jwtPayload: { role: "x", nested: { a: [1, "two", null] } },
      sessionData: { cart: ["a"] },
      createdAt: T0,
      expiresAt: at(3600),
    });
    expect(await one(() => store.sessionExists(h, at(1)))).toBe(true);
    expect(await one(() => store.getSession(h, at(3600)))).toBeUndefined();
    expect(await one(() => store.sessionExists(h, at(3601)))).toBe(false);
    expect(await one(() => store.getSession("missing", at(1)))).toBeUndefined();
  });

  it("tells which of many handles are live sessions, in one round trip however many", async () => {
    const a = await create("erin");
    const b = await create("erin", 10);
    const gone = await create("erin");
    await store.revoke({ by: { handle: gone }, now: at(1) });
    const many = [a, b, gone, "missing", 'it\'s "quoted"', ...Array.from({ length: 20_000 }, (_, i) => `absent-${i}`)];
    expect((await one(() => store.liveHandles(many, at(5)))).sort()).toEqual([a, b].sort());
    expect(await one(() => store.liveHandles([a, b], at(10)))).toEqual([a]);
    expect(await store.liveHandles([], at(1))).toEqual([]);
  });

  it("stores any JSON as session data, including scalars and unicode", async () => {
    const h = await create();
    for (const value of ["text", 42, true, null, [1, { ü: "🎉" }], { quote: "\"'\\" }]) {
      expect(await one(() => store.setSessionData(h, value, at(1)))).toBe(true);
      expect((await one(() => store.getSessionData(h, at(1))))?.data).toEqual(value);
    }
  });

  it("versions session data for compare-and-set", async () => {
    const h = await create();
    const first = await one(() => store.getSessionData(h, at(1)));
    expect(first?.version).toBe(0);
    expect(await one(() => store.setSessionData(h, { v: 1 }, at(1), 0))).toBe(true);
    expect(await one(() => store.setSessionData(h, { v: 2 }, at(1), 0))).toBe(false);
    expect(await one(() => store.getSessionData(h, at(1)))).toEqual({ data: { v: 1 }, version: 1 });
    expect(await one(() => store.setSessionData(h, { v: 3 }, at(1)))).toBe(true);
    expect((await one(() => store.getSessionData(h, at(1))))?.version).toBe(2);
    expect(await one(() => store.setSessionData(h, {}, at(7200)))).toBe(false);
  });

  it("replaces the JWT payload of live sessions only", async () => {
    const h = await create();
    expect(await one(() => store.setJWTPayload(h, { name: "Ada" }, at(1)))).toEqual({ remember: true });
    expect((await store.getSession(h, at(1)))?.jwtPayload).toEqual({ name: "Ada" });
    expect(await one(() => store.setJWTPayload(h, {}, at(3600)))).toBeUndefined();
  });

  it("rotates the refresh hash only when the presented one is current", async () => {
    const h = await create();
    const input = (presented: string, next: string, now: Date) => ({
      handle: h,
      presentedHash: presented,
      nextHash: next,
      nextNonce: `nonce-${next}`,
      nextGeneration: 1,
      now,
      expiresAt: at(9000),
    });
    const rotated = await one(() => store.rotateRefresh(input(`hash-${h}`, "h1", at(10))));
    expect(rotated).toMatchObject({
      userId: "user",
      refreshHash: "h1",
      previousRefreshHash: `hash-${h}`,
      refreshNonce: "nonce-h1",
      refreshGeneration: 1,
      rotatedAt: at(10),
      expiresAt: at(9000),
      createdAt: T0,
    });
    // The old hash again: nothing changes, the current state comes back.
    const again = await one(() => store.rotateRefresh(input(`hash-${h}`, "h2", at(11))));
    expect(again).toMatchObject({ refreshHash: "h1", previousRefreshHash: `hash-${h}`, rotatedAt: at(10), refreshGeneration: 1 });
    expect(await one(() => store.rotateRefresh(input("h1", "h3", at(9001))))).toBeUndefined();
  });

  it("rotates on a token of a generation the row never reached (a rotation the database lost)", async () => {
    const h = await create();
    const input = (presented: string, next: string, nextGeneration: number) => ({
      handle: h,
      presentedHash: presented,
      nextHash: next,
      nextNonce: `nonce-${next}`,
      nextGeneration,
      now: at(10),
      expiresAt: at(9000),
    });
    // The row is at generation 0; a token of generation 1 (its rotation lost) rotates it to 2.
    expect(await one(() => store.rotateRefresh(input("lost-h1", "h2", 2)))).toMatchObject({
      refreshHash: "h2",
      previousRefreshHash: "lost-h1",
      refreshGeneration: 2,
    });
    // Older or equal generations with an unknown hash change nothing: the caller sees theft.
    expect(await one(() => store.rotateRefresh(input(`hash-${h}`, "h9", 1)))).toMatchObject({ refreshHash: "h2", refreshGeneration: 2 });
    expect(await one(() => store.rotateRefresh(input("other-gen2", "h9", 3)))).toMatchObject({ refreshHash: "h2", refreshGeneration: 2 });
  });

  it("revokes by handle and by user, returning the handles and their users", async () => {
    const a = await create("bob");
    const b = await create("bob");
    const c = await create("carol");
    expect(await one(() => store.listHandles("bob", at(1)))).toEqual([a, b]);
    expect(await one(() => store.revoke({ by: { handle: a }, now: at(2) }))).toEqual([{ handle: a, userId: "bob" }]);
    expect(await one(() => store.revoke({ by: { handle: a }, now: at(2) }))).toEqual([]);
    expect(await one(() => store.revoke({ by: { userId: "bob" }, now: at(2) }))).toEqual([{ handle: b, userId: "bob" }]);
    expect(await store.listHandles("bob", at(1))).toEqual([]);
    expect(await store.sessionExists(c, at(1))).toBe(true);
  });

  it("logs and announces revocations in the same round trip when asked", async () => {
    const a = await create("dave");
    const b = await create("dave");
    const revoked = await one(() => store.revoke({ by: { userId: "dave" }, now: at(5), notifyChannel: "sessionkit_contract" }));
    expect(revoked.map((r) => r.handle).sort()).toEqual([a, b].sort());
    expect(revoked.map((r) => r.userId)).toEqual(["dave", "dave"]);
    const log = await one(() => store.revocationsSince(0, at(0)));
    expect(log.map((e) => e.handle).sort()).toEqual([a, b].sort());
    expect(log[0]?.revokedAt).toEqual(at(5));
    const lastId = Math.max(...log.map((e) => e.id));
    expect(await one(() => store.revocationsSince(lastId, at(0)))).toEqual([]);
    expect(await one(() => store.revocationsSince(0, at(6)))).toEqual([]);
  });

  it("revokes many handles in one round trip, logged and announced when asked, maxLifetime's createdBefore per handle", async () => {
    const handles: string[] = [];
    for (let i = 0; i < 5; i++) handles.push(await create("erin"));
    const [a, b, c, d, e] = handles as [string, string, string, string, string];
    const heard: string[] = [];
    const stop = await store.listen?.("sessionkit_contract_batch", { onNotify: (p) => heard.push(p), onListen() {}, onDrop() {} });
    const revoked = await one(
      () =>
        store.revokeHandles?.({
          targets: [
            { handle: a },
            { handle: b },
            { handle: c, createdBefore: at(-1) },
            { handle: d, createdBefore: T0 },
            { handle: "no-such" },
          ],
          now: at(7),
          notifyChannel: "sessionkit_contract_batch",
        }) ?? Promise.resolve([]),
    );
    // c was created after its createdBefore: not revoked; d at it: revoked.
    expect(revoked.map((r) => r.handle).sort()).toEqual([a, b, d].sort());
    expect(new Set(revoked.map((r) => r.userId))).toEqual(new Set(["erin"]));
    const log = (await store.revocationsSince(0, at(6))).filter((l) => handles.includes(l.handle));
    expect(log.map((l) => l.handle).sort()).toEqual([a, b, d].sort());
    // One notice per handle in the 0.1 format, so listeners of every version read each.
    for (let i = 0; i < 200 && heard.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(heard.sort()).toEqual(log.map((l) => `${l.handle}:${l.id}`).sort());
    await stop?.();
    expect(await store.sessionExists(c, at(8))).toBe(true);
    expect(
      await one(() => store.revokeHandles?.({ targets: [{ handle: c }, { handle: e }], now: at(8) }) ?? Promise.resolve([])),
    ).toHaveLength(2);
    expect((await store.revocationsSince(0, at(6))).some((l) => l.handle === e)).toBe(false);
  });

  it("clears claim entries of a user's live sessions only, and announces it in the same round trip when asked", async () => {
    const payload = { name: "Fi", "st-role": { v: ["admin"], t: 1 }, plan: { v: "pro", t: 1 } };
    const a = await create("fiona");
    const b = await create("fiona");
    const old = await create("fiona", 10);
    const other = await create("gus");
    for (const h of [a, b, old, other]) await store.setJWTPayload(h, payload, at(1));
    const clear = store.clearClaims?.bind(store);
    if (!clear) throw new Error("drizzleStore has clearClaims");
    const input = { userId: "fiona", keys: ["st-role", "plan"], now: at(20), notice: "claims:20000:fiona" };
    expect((await one(() => clear(input))).sort()).toEqual([a, b].sort());
    for (const h of [a, b]) expect((await store.getSession(h, at(20)))?.jwtPayload).toEqual({ name: "Fi" });
    expect((await store.getSession(other, at(20)))?.jwtPayload).toEqual(payload);
    expect((await store.getSession(old, at(5)))?.jwtPayload).toEqual(payload); // expired at 10 s: not reached
    // A key the payload does not hold, quotes in a key: nothing breaks.
    expect((await one(() => clear({ ...input, keys: ["missing", `it's "q"`] }))).sort()).toEqual([a, b].sort());
    expect(await one(() => clear({ ...input, userId: "nobody" }))).toEqual([]);

    // With a channel: the same clearing and the notice, in one round trip.
    await store.setJWTPayload(a, payload, at(21));
    const notices: string[] = [];
    let heard: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      heard = resolve;
    });
    const listen = store.listen?.bind(store);
    if (!listen) throw new Error("drizzleStore listens");
    const stop = await listen(
      "sessionkit_contract_claims",
      {
        onNotify: (notice) => {
          notices.push(notice);
          heard();
        },
        onListen: () => {},
        onDrop: () => {},
      },
      undefined,
      { heartbeatMs: 600_000 }, // no probe inside the counted window
    );
    const reached = await one(() =>
      clear({ ...input, now: at(30), notice: "claims:30000:fiona", notifyChannel: "sessionkit_contract_claims" }),
    );
    expect(reached.sort()).toEqual([a, b].sort());
    expect((await store.getSession(a, at(30)))?.jwtPayload).toEqual({ name: "Fi" });
    await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, 5000))]);
    expect(notices).toEqual(["claims:30000:fiona"]);
    await stop();
  });

  it("keeps one key per purpose, algorithm and slot", async () => {
    const key = (kid: string, slot: number) => ({
      kid,
      purpose: "signing" as const,
      algorithm: "ES256",
      slot,
      publicJwk: { kty: "EC", crv: "P-256", x: kid, y: kid },
      privateJwk: { kty: "EC", crv: "P-256", x: kid, y: kid, d: kid },
      createdAt: T0,
      expiresAt: at(100),
    });
    await one(() => store.insertKey(key("k-a", 7)));
    await one(() => store.insertKey(key("k-b", 7)));
    await one(() => store.insertKey(key("k-c", 8)));
    const keys = (await one(() => store.loadKeys(at(1)))).filter((k) => k.algorithm === "ES256");
    expect(keys.map((k) => k.kid).sort()).toEqual(["k-a", "k-c"]);
    expect(keys.find((k) => k.kid === "k-a")?.privateJwk).toMatchObject({ d: "k-a" });
    expect((await store.loadKeys(at(100))).filter((k) => k.algorithm === "ES256")).toEqual([]);
  });

  it("replaces a key's private material only while it still holds the expected value", async () => {
    const plain = { kty: "oct", k: "plain-key" };
    const sealed = { enc: "test", iv: "x", ct: "y" } as unknown as JsonWebKey;
    const record = {
      kid: "k-swap",
      purpose: "refresh" as const,
      algorithm: "HS256",
      slot: 42,
      publicJwk: null,
      createdAt: T0,
      expiresAt: at(100),
    };
    await one(() => store.insertKey({ ...record, privateJwk: plain }));
    expect(await one(() => store.replacePrivateKey("k-swap", sealed, plain))).toBe(true);
    // A second instance that loaded the plaintext too loses the race and changes nothing.
    expect(await one(() => store.replacePrivateKey("k-swap", { kty: "oct", k: "other" }, plain))).toBe(false);
    expect(await one(() => store.replacePrivateKey("missing", sealed, plain))).toBe(false);
    const row = (await store.loadKeys(at(1))).find((k) => k.kid === "k-swap");
    expect(row?.privateJwk).toEqual(sealed);
  });

  it("cleans up expired sessions, keys and old revocations in one statement", async () => {
    await create("eve", 10);
    const alive = await create("eve", 100_000);
    const removed = await one(() => store.cleanup(at(50_000), at(50_000)));
    expect(removed.sessions).toBeGreaterThanOrEqual(1);
    expect(removed.keys).toBeGreaterThanOrEqual(1);
    expect(removed.revocations).toBeGreaterThanOrEqual(1);
    expect(await store.listHandles("eve", at(50_000))).toEqual([alive]);
  });

  describe("devices and lifetimes", () => {
    const record = (userId: string, createdAt: Date, extra: Partial<NewSessionRecord> = {}): NewSessionRecord => {
      const h = handle();
      return { handle: h, userId, jwtPayload: {}, sessionData: {}, refreshHash: `hash-${h}`, createdAt, expiresAt: at(3600), ...extra };
    };
    const rotate = (h: string, now: Date, extra: Partial<RotateRefreshInput> = {}) =>
      store.rotateRefresh({
        handle: h,
        presentedHash: `hash-${h}`,
        nextHash: `next-${h}-${now.getTime()}`,
        nextNonce: "n",
        nextGeneration: 1,
        now,
        expiresAt: at(7200),
        ...extra,
      });

    it("stores the device and remember-me, lists by last activity, and moves activity and IP at rotation", async () => {
      const phone = record("frank", at(0), { userAgent: "Phone/1", ip: "203.0.113.7", remember: false });
      const laptop = record("frank", at(5), { userAgent: "Laptop/2", ip: "2001:db8::1" });
      expect(await one(() => store.createSession(phone))).toEqual([]);
      expect(await one(() => store.createSession(laptop))).toEqual([]);
      await store.createSession(record("someone-else", at(6)));
      expect(await one(() => store.listSessions("frank", at(10)))).toEqual([
        {
          handle: laptop.handle,
          userId: "frank",
          createdAt: at(5),
          lastActiveAt: at(5),
          expiresAt: at(3600),
          userAgent: "Laptop/2",
          ip: "2001:db8::1",
        },
        {
          handle: phone.handle,
          userId: "frank",
          createdAt: at(0),
          lastActiveAt: at(0),
          expiresAt: at(3600),
          userAgent: "Phone/1",
          ip: "203.0.113.7",
        },
      ]);
      const rotated = await one(() => rotate(phone.handle, at(20), { ip: "198.51.100.9" }));
      expect(rotated).toMatchObject({ remember: false, createdAt: at(0), expiresAt: at(7200) });
      const listed = await store.listSessions("frank", at(21));
      expect(listed.map((s) => [s.handle, s.lastActiveAt, s.ip])).toEqual([
        [phone.handle, at(20), "198.51.100.9"],
        [laptop.handle, at(5), "2001:db8::1"],
      ]);
      // An IP the refresh could not tell keeps the last one known.
      expect((await rotate(laptop.handle, at(30)))?.remember).toBe(true);
      expect((await store.listSessions("frank", at(31)))[0]).toMatchObject({
        handle: laptop.handle,
        lastActiveAt: at(30),
        ip: "2001:db8::1",
      });
      expect(await one(() => store.setJWTPayload(phone.handle, { x: 1 }, at(31)))).toEqual({ remember: false });
      expect(await store.listSessions("frank", at(7200))).toEqual([]);
    });

    it("caps the expiry at maxLifetime and refuses to rotate past it", async () => {
      const r = record("grace", at(0));
      await store.createSession(r);
      expect(await one(() => rotate(r.handle, at(100), { maxLifetime: 1000 }))).toMatchObject({ expiresAt: at(1000) });
      const next = { presentedHash: `next-${r.handle}-${at(100).getTime()}` };
      expect(await one(() => rotate(r.handle, at(1000), { maxLifetime: 1000, ...next }))).toBeUndefined();
      expect(await rotate(r.handle, at(999), { maxLifetime: 1000, ...next })).toMatchObject({ expiresAt: at(1000) });
    });

    it("revokes every session of a user but one", async () => {
      const keep = record("heidi", at(0));
      const others = [record("heidi", at(1)), record("heidi", at(2))];
      for (const r of [keep, ...others]) await store.createSession(r);
      const revoked = await one(() => store.revoke({ by: { userId: "heidi", exceptHandle: keep.handle }, now: at(3) }));
      expect(revoked.map((r) => [r.handle, r.userId]).sort()).toEqual(others.map((r) => [r.handle, "heidi"]).sort());
      expect(await store.listHandles("heidi", at(3))).toEqual([keep.handle]);
    });

    it("inserts under a cap and ends the least recently active beyond it in the same round trip, logged when asked", async () => {
      const expired = record("ivan", at(0), { expiresAt: at(1) });
      const first = record("ivan", at(1));
      const second = record("ivan", at(2), { userAgent: "Old/1", ip: "192.0.2.5" });
      const third = record("ivan", at(5));
      // An expired session neither counts nor is ended by the cap.
      for (const r of [expired, first, second]) expect(await one(() => store.createSession(r, { maxSessions: 2 }))).toEqual([]);
      // first was refreshed later than second: second is now the least recently active.
      await rotate(first.handle, at(4));
      const evicted = await one(() => store.createSession(third, { maxSessions: 2, notifyChannel: "sessionkit_contract" }));
      // Each with its own device, for its revoked event.
      expect(evicted).toEqual([{ handle: second.handle, userAgent: "Old/1", ip: "192.0.2.5" }]);
      expect((await store.listSessions("ivan", at(5))).map((s) => s.handle)).toEqual([third.handle, first.handle]);
      expect((await store.revocationsSince(0, at(0))).map((e) => e.handle)).toContain(second.handle);
      const fourth = record("ivan", at(6));
      const ended = await one(() => store.createSession(fourth, { maxSessions: 1 }));
      // Without a device: the handle alone.
      expect(ended.sort((x, y) => x.handle.localeCompare(y.handle))).toEqual(
        [{ handle: third.handle }, { handle: first.handle }].sort((x, y) => x.handle.localeCompare(y.handle)),
      );
      expect(await store.listHandles("ivan", at(7))).toEqual([fourth.handle]);
    });
  });

  it("migrate is idempotent", async () => {
    expect(await migrate(db.db)).toEqual([]);
  });
});
