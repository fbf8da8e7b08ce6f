// `notifyHeartbeatMs` bounds how long a revoked token is still accepted while the listener's
// connection is silently partitioned (no FIN, no RST, no bytes: the TCP proxy freezes it). The
// window is measured from the revocation call's return until instance B refuses the token,
// through the public option (no injected timings).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testClock } from "../helpers/clock.js";
import { DATABASE_URL, type TestDb, createTestDb } from "../helpers/db.js";
import { type Instance, openInstance, requestFrom, uniqueChannel, verify, waitLive } from "./instances.js";
import { type Proxy, startProxy } from "./proxy.js";

describe.skipIf(!DATABASE_URL)("notify heartbeat during a silent partition (needs DATABASE_URL: PGlite has no connection to cut)", () => {
  let db: TestDb;
  let proxy: Proxy;
  const instances: Instance[] = [];
  beforeAll(async () => {
    db = await createTestDb("postgres");
    const url = new URL(DATABASE_URL as string);
    proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) });
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await proxy?.close();
    await db?.close();
  });

  for (const heartbeatMs of [300, 1000]) {
    it(`notifyHeartbeatMs ${heartbeatMs}: a revoked token is refused within 2 × ${heartbeatMs} ms (plus slack)`, async () => {
      const clock = testClock();
      const options = { revocation: "notify" as const, notifyChannel: uniqueChannel(), now: clock.now, antiCsrf: "none" as const };
      const a = openInstance(db, `HA${heartbeatMs}`, options);
      const b = openInstance(
        db,
        `HB${heartbeatMs}`,
        { ...options, notifyHeartbeatMs: heartbeatMs },
        {
          clientOptions: { host: "127.0.0.1", port: proxy.port },
        },
      );
      instances.push(a, b);
      const newSession = async (userId: string) => {
        const headers = new Headers();
        const s = await a.sessions.createNewSession({ userId }, headers);
        return { handle: s.getHandle(), request: requestFrom(headers) };
      };
      const probe = await newSession("hb-probe");
      await Promise.all([waitLive(a, probe.request), waitLive(b, probe.request)]);
      const victim = await newSession("hb-victim");
      expect(await verify(b, victim.request)).toBe("ok");

      // Freezes the listener connections open now; B's reconnection gets a fresh, working one.
      proxy.freezeListeners();
      {
        await a.sessions.revokeSession(victim.handle);
        const revokedAt = performance.now();
        let accepted = 0;
        while ((await verify(b, victim.request)) === "ok") {
          accepted++;
          if (performance.now() - revokedAt > 20_000) throw new Error("the revoked token was still accepted after 20 s");
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const windowMs = performance.now() - revokedAt;
        console.log(
          `notifyHeartbeatMs ${heartbeatMs}: revoked token accepted for ${windowMs.toFixed(0)} ms (${accepted} verifications) during the partition`,
        );
        // Generous slack for a loaded machine; the 0.1 fixed heartbeat gave about 10 s here.
        expect(windowMs).toBeLessThan(2 * heartbeatMs + 1500);
      }
    });
  }
});
