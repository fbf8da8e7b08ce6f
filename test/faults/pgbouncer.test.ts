// Through a real PgBouncer 1.18 in transaction mode (started here, in front of the shared
// Postgres), on postgres.js (`prepare: false`) and node-postgres (`prepare: false`): sign-in,
// verification, refresh, session data, modifySessionData under the row lock (one server
// connection per transaction, or updates would be lost), and revocation notify through a direct
// listener (`drizzleStore(db, { listen: directDb })`) at 0 queries per request. Without the
// direct listener, notify refuses the pooled LISTEN with a sentence naming the cause and fails
// closed, instead of degrading silently.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sessions, createSessions, isSessionError } from "../../src/index.js";
import { type AnyPgDatabase, drizzleStore } from "../../src/storage/index.js";
import { listenOn } from "../../src/storage/listen.js";
import { fastTimings, requestFrom, until } from "../concurrency/instances.js";
import { DATABASE_URL, type TestDb, createTestDb, nodePgPool, postgresClient } from "../helpers/db.js";
import { type PgBouncer, serversMissing, startPgBouncer } from "../helpers/servers.js";

const missing = DATABASE_URL ? serversMissing() : "needs DATABASE_URL";
if (process.env.CI && missing) {
  it("PgBouncer runs in CI", () => {
    throw new Error(`CI is set but ${missing}`);
  });
}

const drivers = ["postgres", "node-postgres"] as const;

interface Client {
  db: AnyPgDatabase;
  raw: unknown;
  queries: TestDb["queries"];
  end(): Promise<void>;
}

describe.skipIf(missing !== undefined).each(drivers)(`through PgBouncer in transaction mode (${missing ?? "real"}) on %s`, (driver) => {
  let base: TestDb;
  let bouncer: PgBouncer;
  const clients: Client[] = [];
  const all: Sessions[] = [];
  const channel = `sk_bouncer_${Math.random().toString(36).slice(2, 8)}`;

  /** A pool through the bouncer (pooled) or straight to Postgres (direct), counting its statements. */
  function open(via: "pooled" | "direct", appName: string): Client {
    const schema = base.schema as string;
    let client: Client;
    if (driver === "postgres") {
      // The bouncer sets search_path on its server connections; it forwards no such startup parameter.
      const connection = via === "pooled" ? { application_name: appName } : { application_name: appName, search_path: schema };
      const { sql, db, queries } = postgresClient(via === "pooled" ? bouncer.url : (DATABASE_URL as string), schema, undefined, {
        max: 4,
        fetch_types: false,
        prepare: via === "direct",
        connection,
      });
      client = { db, raw: sql, queries, end: () => sql.end({ timeout: 1 }) };
    } else {
      const { pool, db, queries } = nodePgPool(via === "pooled" ? bouncer.url : (DATABASE_URL as string), schema, undefined, {
        max: 4,
        application_name: appName,
        ...(via === "pooled" ? { options: undefined } : {}),
      });
      client = { db, raw: pool, queries, end: () => pool.end() };
    }
    clients.push(client);
    return client;
  }

  function sessionsOn(
    pooled: Client,
    direct: Client | undefined,
    extra: { onWarning?: (m: string, error?: unknown) => void } = {},
  ): Sessions {
    const store = drizzleStore(pooled.db, { prepare: false, ...(direct ? { listen: direct.db } : {}) });
    const listenClient = (direct ?? pooled).raw;
    const sessions = createSessions({
      store: { ...store, listen: (c, handlers, signal) => listenOn(listenClient, c, handlers, { timings: fastTimings, signal }) },
      revocation: "notify",
      notifyChannel: channel,
      antiCsrf: "none",
      onWarning: extra.onWarning ?? (() => {}),
    });
    all.push(sessions);
    return sessions;
  }

  beforeAll(async () => {
    base = await createTestDb("postgres");
    bouncer = await startPgBouncer({ upstreamPort: Number(new URL(DATABASE_URL as string).port || 5432), schema: base.schema as string });
  });
  afterAll(async () => {
    for (const s of all) await s.close();
    for (const c of clients) await c.end();
    await bouncer?.close();
    await base?.close();
  });

  async function verify(sessions: Sessions, request: Request): Promise<string> {
    try {
      await sessions.getSession(request, new Headers());
      return "ok";
    } catch (error) {
      if (isSessionError(error)) return error.code;
      throw error;
    }
  }

  it("every feature works, modifySessionData loses no update, and notify costs 0 queries per request", async () => {
    const poolA = open("pooled", `skb-a-${driver}`);
    const poolB = open("pooled", `skb-b-${driver}`);
    const a = sessionsOn(poolA, open("direct", `skb-la-${driver}`));
    const b = sessionsOn(poolB, open("direct", `skb-lb-${driver}`));

    const headers = new Headers();
    const session = await a.createNewSession({ userId: "bouncer", sessionData: { n: 0 } }, headers);
    const request = () => requestFrom(headers);
    // B goes live once its direct listener has proven its feed and read the revocation log.
    await until(
      async () => {
        const before = poolB.queries.count;
        const ok = (await verify(b, request())) === "ok";
        return ok && poolB.queries.count === before;
      },
      10_000,
      "B's direct listener to go live",
    );
    for (let i = 0; i < 5; i++) {
      const before = poolB.queries.count;
      expect(await verify(b, request())).toBe("ok");
      expect(poolB.queries.count - before).toBe(0);
    }

    // Session data and the JWT payload, through the bouncer.
    const onB = await b.getSession(request(), new Headers());
    await onB.updateSessionData({ n: 0, note: "é" });
    expect(await onB.getSessionData()).toEqual({ n: 0, note: "é" });

    // 40 concurrent read-modify-writes from two instances: BEGIN … FOR UPDATE … COMMIT must hold one
    // server connection, or the lock would end with the SELECT and increments would be lost.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).modifySessionData<{ n: number }>(session.getHandle(), async (d) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return { ...d, n: d.n + 1 };
        }),
      ),
    );
    expect((await a.getSessionInformation(session.getHandle()))?.sessionData).toMatchObject({ n: 40 });

    // Refresh: one statement, the new tokens verify on the other instance.
    const refreshed = await a.handle(
      new Request("http://localhost/auth/session/refresh", { method: "POST", headers: requestFrom(headers, "POST").headers }),
    );
    expect(refreshed?.status).toBe(200);
    const next = requestFrom(refreshed?.headers as Headers);
    expect(await verify(b, next)).toBe("ok");

    // Revocation on A (NOTIFY through the bouncer), heard by B's direct listener: no query on B.
    const before = poolB.queries.count;
    await a.revokeSession(session.getHandle());
    const heardIn = await until(async () => (await verify(b, next)) === "UNAUTHORISED", 2000, "B to hear the revocation");
    console.log(`${driver}: revocation through PgBouncer heard by B's direct listener in ${heardIn.toFixed(1)} ms`);
    expect(poolB.queries.count - before).toBe(0);
  });

  it("without a direct listener, the pooled LISTEN is refused with the cause and verification fails closed", async () => {
    const poolA = open("pooled", `skb-c-${driver}`);
    const poolC = open("pooled", `skb-d-${driver}`);
    const a = sessionsOn(poolA, open("direct", `skb-lc-${driver}`));
    const warnings: string[] = [];
    const c = sessionsOn(poolC, undefined, { onWarning: (m, error) => warnings.push(`${m}: ${(error as Error | undefined)?.message}`) });
    const headers = new Headers();
    const session = await a.createNewSession({ userId: "no-direct" }, headers);
    // The cause is reported, not hidden.
    const warnedIn = await until(() => warnings.some((m) => m.includes("could not LISTEN")), 10_000, "the refused LISTEN to be reported");
    console.log(`${driver}: pooled LISTEN refused and reported after ${warnedIn.toFixed(0)} ms: ${warnings[0]}`);
    expect(warnings.find((m) => m.includes("could not LISTEN"))).toContain("drizzleStore(db, { listen: directDb })");
    // Fail closed: each verification asks the database (1 query), and honours a revocation at once.
    expect(await verify(c, requestFrom(headers))).toBe("ok"); // the first request also loads the keys
    for (let i = 0; i < 3; i++) {
      const before = poolC.queries.count;
      expect(await verify(c, requestFrom(headers))).toBe("ok");
      expect(poolC.queries.count - before).toBe(1);
    }
    await a.revokeSession(session.getHandle());
    expect(await verify(c, requestFrom(headers))).toBe("UNAUTHORISED");
  });
});
