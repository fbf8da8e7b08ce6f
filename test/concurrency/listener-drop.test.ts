// When B's LISTEN connection is killed, hangs, or cannot be opened, B fails closed (asks the
// database on every verification), honours revocations made meanwhile, and returns to zero
// queries once it listens again and has read the revocation log.

import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testClock } from "../helpers/clock.js";
import { DATABASE_URL, type DbKind, type TestDb, createTestDb } from "../helpers/db.js";
import { type Instance, fastTimings, openInstance, requestFrom, uniqueChannel, until, verifyCounted, waitLive } from "./instances.js";
import { type Proxy, startProxy } from "./proxy.js";

// PGlite is one in-process connection: there is no listener connection to kill or partition.
const serverKinds: DbKind[] = ["postgres", "node-postgres"];

describe.skipIf(!DATABASE_URL).each(serverKinds)(
  "listener drops on %s (PGlite has no separate connection to drop; needs DATABASE_URL)",
  (kind) => {
    let db: TestDb;
    let admin: postgres.Sql;
    let proxy: Proxy;
    const clock = testClock();
    const channel = uniqueChannel();
    const options = { revocation: "notify" as const, notifyChannel: channel, now: clock.now, antiCsrf: "none" as const };
    const instances: Instance[] = [];

    beforeAll(async () => {
      db = await createTestDb(kind);
      admin = postgres(DATABASE_URL as string, { max: 1, onnotice: () => {} });
      const url = new URL(DATABASE_URL as string);
      proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) });
    });
    afterAll(async () => {
      for (const instance of instances) await instance.close();
      await proxy?.close();
      await admin?.end({ timeout: 1 });
      await db?.close();
    });

    function open(name: string, extra: Parameters<typeof openInstance>[3] = {}): Instance {
      const instance = openInstance(db, name, options, { timings: fastTimings, ...extra });
      instances.push(instance);
      return instance;
    }

    async function session(on: Instance, userId: string) {
      const headers = new Headers();
      const s = await on.sessions.createNewSession({ userId }, headers);
      return { handle: s.getHandle(), request: requestFrom(headers) };
    }

    async function listenerPid(instance: Instance): Promise<number | undefined> {
      const rows = await admin<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity WHERE application_name = ${`${instance.appName} sessionkit-listener`}`;
      return rows[0]?.pid;
    }

    it("pg_terminate_backend on B's listener: B checks the database, honours a revocation made meanwhile, and recovers", async () => {
      const a = open("A");
      let dropped = false;
      const b = open("B", { onWarning: (m) => (dropped ||= m.includes("listener dropped")) });
      const probe = await session(a, "probe");
      await Promise.all([waitLive(a, probe.request), waitLive(b, probe.request)]);
      const victim = await session(a, "victim");
      expect(await verifyCounted(b, victim.request)).toEqual({ result: "ok", queries: 0 });

      const pid = await listenerPid(b);
      expect(pid).toBeTypeOf("number");
      await admin`SELECT pg_terminate_backend(${pid as number})`;
      // Revoked while B cannot hear it: the notice goes nowhere.
      await a.sessions.revokeSession(victim.handle);
      await until(() => dropped, 5000, "B to notice the drop");

      // Fail closed: B now asks the database (first reconnection attempt is at least 50 ms away).
      expect(await verifyCounted(b, probe.request)).toEqual({ result: "ok", queries: 1 });
      expect((await verifyCounted(b, victim.request)).result).toBe("UNAUTHORISED");

      // Back on a new connection, B has read the log: the revocation it never heard is in memory.
      await waitLive(b, probe.request);
      expect(await listenerPid(b)).not.toBe(pid);
      expect(await verifyCounted(b, victim.request)).toEqual({ result: "UNAUTHORISED", queries: 0 });
      // And it hears new revocations again.
      const later = await session(a, "later");
      expect(await verifyCounted(b, later.request)).toEqual({ result: "ok", queries: 0 });
      await a.sessions.revokeSession(later.handle);
      await until(async () => (await verifyCounted(b, later.request)).result === "UNAUTHORISED", 100, "B to hear the next revocation");
    });

    it("a listener connection that hangs without closing is caught by the heartbeat", async () => {
      const a = open("A2");
      const warnings: string[] = [];
      const b = open("B2", {
        clientOptions: { host: "127.0.0.1", port: proxy.port },
        onWarning: (m) => warnings.push(m),
      });
      const probe = await session(a, "probe-2");
      await Promise.all([waitLive(a, probe.request), waitLive(b, probe.request)]);
      const victim = await session(a, "victim-2");
      expect(await verifyCounted(b, victim.request)).toEqual({ result: "ok", queries: 0 });
      expect(proxy.listenerSockets()).toBe(1);

      // A partition of the listener's connection alone: no FIN, no RST, no bytes.
      proxy.freezeListeners();
      await a.sessions.revokeSession(victim.handle);
      // B's pool still works, so as soon as the heartbeat gives up B asks the database.
      const detected = await until(() => warnings.some((m) => m.includes("listener dropped")), 5000, "the heartbeat to give up");
      expect(detected).toBeLessThan(fastTimings.heartbeatMs + fastTimings.heartbeatTimeoutMs + 500);
      expect((await verifyCounted(b, victim.request)).result).toBe("UNAUTHORISED");

      await waitLive(b, probe.request);
      expect(proxy.listenerSockets()).toBe(1);
      expect(await verifyCounted(b, victim.request)).toEqual({ result: "UNAUTHORISED", queries: 0 });
    });

    it("a listener connection that answers queries but delivers no notices is caught by the heartbeat", async () => {
      const a = open("A6");
      const warnings: string[] = [];
      const b = open("B6", { clientOptions: { host: "127.0.0.1", port: proxy.port }, onWarning: (m) => warnings.push(m) });
      const probe = await session(a, "probe-6");
      await Promise.all([waitLive(a, probe.request), waitLive(b, probe.request)]);
      const victim = await session(a, "victim-6");
      expect(await verifyCounted(b, victim.request)).toEqual({ result: "ok", queries: 0 });
      proxy.dropNotices = true;
      try {
        await a.sessions.revokeSession(victim.handle);
        await until(() => warnings.some((m) => m.includes("listener dropped")), 5000, "the heartbeat to miss its own notice");
        expect((await verifyCounted(b, victim.request)).result).toBe("UNAUTHORISED");
      } finally {
        proxy.dropNotices = false;
      }
      await waitLive(b, probe.request);
      expect(await verifyCounted(b, victim.request)).toEqual({ result: "UNAUTHORISED", queries: 0 });
    });

    it("while the listener cannot connect at all, every verification asks the database", async () => {
      const a = open("A3");
      proxy.refuseListeners = true;
      const b = open("B3", { clientOptions: { host: "127.0.0.1", port: proxy.port } });
      try {
        const probe = await session(a, "probe-3");
        const victim = await session(a, "victim-3");
        // Warm-up: the first request also loads keys (and postgres.js its type table).
        expect((await verifyCounted(b, probe.request)).result).toBe("ok");
        for (let i = 0; i < 5; i++) {
          expect(await verifyCounted(b, probe.request)).toEqual({ result: "ok", queries: 1 });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await a.sessions.revokeSession(victim.handle);
        expect(await verifyCounted(b, victim.request)).toEqual({ result: "UNAUTHORISED", queries: 1 });
        // The attempt times out and is reported; B stays on database checks.
        await until(() => b.warnings.some((m) => m.includes("could not LISTEN")), 5000, "the failed LISTEN to be reported");
        expect(await verifyCounted(b, probe.request)).toEqual({ result: "ok", queries: 1 });
      } finally {
        proxy.refuseListeners = false;
      }
      // The guard retries on its own and goes live once the listener can connect.
      const probe = await session(a, "probe-3b");
      await waitLive(b, probe.request);
    });

    it("close() returns at once even while the listener is still trying to connect", async () => {
      proxy.refuseListeners = true;
      try {
        const c = open("C5", {
          clientOptions: { host: "127.0.0.1", port: proxy.port },
          timings: { ...fastTimings, listenTimeoutMs: 5000 },
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        // node-postgres gives up on a refused connection at once (postgres.js keeps retrying until
        // listenTimeoutMs): a failed attempt before close() is a real failure to report.
        const before = c.warnings.filter((m) => !m.includes("could not LISTEN"));
        expect(before).toEqual([]);
        const reported = c.warnings.length;
        const t0 = performance.now();
        await c.sessions.close();
        expect(performance.now() - t0).toBeLessThan(500);
        // Closing is not a failure to report.
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(c.warnings.length).toBe(reported);
      } finally {
        proxy.refuseListeners = false;
      }
    });

    it("close() ends the listener connection", async () => {
      const a = open("A4");
      const probe = await session(a, "probe-4");
      await waitLive(a, probe.request);
      expect(await listenerPid(a)).toBeTypeOf("number");
      await a.sessions.close();
      await until(async () => (await listenerPid(a)) === undefined, 2000, "the listener backend to go away");
    });
  },
);
