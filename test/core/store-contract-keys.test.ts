// The SessionStore contract on every driver we ship (store-contract-setup.ts), keys and upkeep:
// one key per purpose, algorithm and slot, sealing a key in place, cleanup, and migrate run again.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionStore } from "../../src/index.js";
import { drizzleStore, migrate } from "../../src/storage/index.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { T0, at, contract } from "./store-contract-setup.js";

describe.each(availableKinds)("store contract on %s", (kind) => {
  let db: TestDb;
  let store: SessionStore;
  beforeAll(async () => {
    db = await createTestDb(kind);
    store = drizzleStore(db.db);
  });
  afterAll(() => db.close());
  const { one, create } = contract(() => ({ db, store }));

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
    // The expired keys are the two tests' above; the old revocation is this test's own (in one
    // file with the revocation tests it was theirs).
    await store.revoke({ by: { handle: await create("eve") }, now: at(1), notifyChannel: "sessionkit_contract" });
    const removed = await one(() => store.cleanup(at(50_000), at(50_000)));
    expect(removed.sessions).toBeGreaterThanOrEqual(1);
    expect(removed.keys).toBeGreaterThanOrEqual(1);
    expect(removed.revocations).toBeGreaterThanOrEqual(1);
    expect(await store.listHandles("eve", at(50_000))).toEqual([alive]);
  });

  it("migrate is idempotent", async () => {
    expect(await migrate(db.db)).toEqual([]);
  });
});
