// The SessionStore contract on every driver we ship (store-contract-setup.ts), revocation: by
// handle and by user, the log and its notices, many handles at once, clearing claims.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionStore } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
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
});
