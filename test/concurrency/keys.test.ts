// Signing keys across instances: agreement at start, and a rotation by one instance picked up by
// the others without a restart and without failing a single verification.

import { sql } from "drizzle-orm";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { rowsOf } from "../../src/storage/rows.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { type Instance, openInstance, requestFrom, verify } from "./instances.js";

const INTERVAL = 3600;

function kidOf(headers: Headers): string {
  const line = headers.getSetCookie().find((l) => l.startsWith("sAccessToken=")) as string;
  return decodeProtectedHeader(line.slice("sAccessToken=".length, line.indexOf(";"))).kid as string;
}

describe.each(availableKinds)("keys across instances on %s", (kind) => {
  let db: TestDb;
  const opened: Instance[] = [];
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(async () => {
    for (const instance of opened) await instance.close();
    await db?.close();
  });

  function open(name: string, clock: ReturnType<typeof testClock>): Instance {
    const instance = openInstance(db, name, { now: clock.now, keyRotationInterval: INTERVAL, antiCsrf: "none" });
    opened.push(instance);
    return instance;
  }

  it("instances started at the same moment agree on one signing key and one refresh key", async () => {
    const fresh = await createTestDb(kind);
    const clock = testClock();
    const group = Array.from({ length: 6 }, (_, i) => openInstance(fresh, `start-${i}`, { now: clock.now, antiCsrf: "none" }));
    try {
      const headers = await Promise.all(
        group.map(async (instance, i) => {
          const h = new Headers();
          await instance.sessions.createNewSession({ userId: `start-${i}` }, h);
          return h;
        }),
      );
      expect(new Set(headers.map(kidOf)).size).toBe(1);
      // Every instance verifies and refreshes every other instance's tokens.
      for (const h of headers) {
        for (const instance of group) expect(await verify(instance, requestFrom(h))).toBe("ok");
      }
      for (const [i, h] of headers.entries()) {
        const other = group[(i + 1) % group.length] as Instance;
        await expect(other.sessions.refreshSession(requestFrom(h, "POST"), new Headers())).resolves.toBeDefined();
      }
      const rows = await fresh.db.execute(sql`SELECT purpose, count(*)::int AS n FROM sessionkit_keys GROUP BY purpose ORDER BY purpose`);
      expect(rowsOf(rows)).toEqual([
        { purpose: "refresh", n: 1 },
        { purpose: "signing", n: 1 },
      ]);
    } finally {
      for (const instance of group) await instance.close();
      await fresh.close();
    }
  });

  it("a rotation done by A is picked up by B at once, even by many requests arriving together", async () => {
    // Late in a slot, so tokens signed now are still valid after the step into the next one.
    const clock = testClock(Date.parse("2026-04-01T00:50:00Z"));
    const a = open("rot-A", clock);
    const b = open("rot-B", clock);
    const before = new Headers();
    await a.sessions.createNewSession({ userId: "rot-old" }, before);
    expect(await verify(b, requestFrom(before))).toBe("ok");

    // Into the next slot: A signs with a key B has never seen.
    clock.advance(15 * 60_000);
    const after = new Headers();
    await a.sessions.createNewSession({ userId: "rot-new" }, after);
    expect(kidOf(after)).not.toBe(kidOf(before));
    const results = await Promise.all(Array.from({ length: 25 }, () => verify(b, requestFrom(after))));
    expect(results.filter((r) => r !== "ok")).toEqual([]);

    // B signs in the same slot with the same key; the old key still verifies its tokens.
    const fromB = new Headers();
    await b.sessions.createNewSession({ userId: "rot-b" }, fromB);
    expect(kidOf(fromB)).toBe(kidOf(after));
    expect(await verify(a, requestFrom(fromB))).toBe("ok");
    expect(await verify(b, requestFrom(before))).toBe("ok");
  });

  it("a key load already running when the new key appears is not trusted to contain it", async () => {
    const clock = testClock(Date.parse("2026-05-01T00:00:00Z"));
    const a = open("stale-A", clock);
    // B's store: the real one, except that a key load can be held after it has read the table,
    // so B sees a load that started before A created the new key finish after it.
    let hold: Promise<void> | undefined;
    let release = () => {};
    const real = drizzleStore(db.db);
    const b = createSessions({
      now: clock.now,
      keyRotationInterval: INTERVAL,
      antiCsrf: "none",
      store: {
        ...real,
        async loadKeys(now) {
          const rows = await real.loadKeys(now);
          if (hold) await hold;
          return rows;
        },
      },
    });
    const bInstance: Instance = { name: "stale-B", sessions: b, queries: db.queries, warnings: [], close: () => b.close() };
    opened.push(bInstance);
    const warm = new Headers();
    await a.sessions.createNewSession({ userId: "stale-warm" }, warm);
    expect(await verify(bInstance, requestFrom(warm))).toBe("ok");

    clock.advance(INTERVAL * 1000);
    hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Something makes B reload (a token with a kid nobody knows) and the load is held.
    const stranger = `${Buffer.from('{"alg":"ES256","kid":"nobody"}').toString("base64url")}.e30.AAAA`;
    const strangerResult = verify(bInstance, new Request("http://localhost/x", { headers: { cookie: `sAccessToken=${stranger}` } }));
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Meanwhile A creates the new slot's key and signs with it.
    const fresh = new Headers();
    await a.sessions.createNewSession({ userId: "stale-new" }, fresh);
    const verifying = verify(bInstance, requestFrom(fresh));
    const signing = b.createNewSession({ userId: "stale-b-signs" }, new Headers()).then(
      () => "ok",
      (error: { code?: string }) => error.code ?? "error",
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    hold = undefined;
    release();
    expect(await strangerResult).toBe("TRY_REFRESH_TOKEN");
    expect(await verifying).toBe("ok");
    expect(await signing).toBe("ok");
  });
});
