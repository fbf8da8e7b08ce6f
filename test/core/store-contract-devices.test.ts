// The SessionStore contract on every driver we ship (store-contract-setup.ts), devices and
// lifetimes: device and remember-me, maxLifetime, revoking all but one, the session cap.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewSessionRecord, RotateRefreshInput, SessionStore } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { at, contract, handle } from "./store-contract-setup.js";

describe.each(availableKinds)("store contract on %s", (kind) => {
  let db: TestDb;
  let store: SessionStore;
  beforeAll(async () => {
    db = await createTestDb(kind);
    store = drizzleStore(db.db);
  });
  afterAll(() => db.close());
  const { one } = contract(() => ({ db, store }));

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
});
