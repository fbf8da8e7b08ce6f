// Several `createSessions` instances on one real database, the way several servers share one
// Postgres: on Postgres each has its own connection pool (and so its own LISTEN connection and
// its own query counter); on PGlite they share the one embedded connection.

import { type CreateSessionsOptions, type Sessions, createSessions, isSessionError } from "../../src/index.js";
import type { SessionStore } from "../../src/core/store.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type ListenTimings, listenOn } from "../../src/storage/listen.js";
import { type TestDb, counter, nodePgPool, postgresClient } from "../helpers/db.js";

export interface Instance {
  name: string;
  sessions: Sessions;
  /** Statements this instance's pool sent (on PGlite, sharing one connection: its store calls). */
  queries: TestDb["queries"];
  /** Postgres only: the application_name of its pool; its listener's is this plus " sessionkit-listener". */
  appName?: string;
  warnings: string[];
  close(): Promise<void>;
}

const suffix = () => Math.random().toString(36).slice(2, 8);

/** A channel of our own, so test files sharing one Postgres do not hear each other. */
export const uniqueChannel = () => `sk_conc_${suffix()}`;

/**
 * Instances "A" and "B" on one database with the same options, both listening: a probe session
 * from A is refused or accepted live on each (`waitLive`). On a failed start both are closed.
 */
export async function openLivePair(db: TestDb, options: Omit<CreateSessionsOptions, "store">): Promise<[Instance, Instance]> {
  const a = openInstance(db, "A", options);
  const b = openInstance(db, "B", options);
  try {
    const probe = new Headers();
    await a.sessions.createNewSession({ userId: "probe" }, probe);
    await Promise.all([waitLive(a, requestFrom(probe)), waitLive(b, requestFrom(probe))]);
  } catch (error) {
    await Promise.allSettled([a.close(), b.close()]);
    throw error;
  }
  return [a, b];
}

/** Fast reconnection for tests (the defaults are for production). */
export const fastTimings: ListenTimings = { backoffMs: [50, 100, 200], heartbeatMs: 200, heartbeatTimeoutMs: 300, listenTimeoutMs: 2000 };

export function openInstance(
  db: TestDb,
  name: string,
  options: Omit<CreateSessionsOptions, "store">,
  extra: { timings?: ListenTimings; onWarning?: (message: string) => void; clientOptions?: Record<string, unknown> } = {},
): Instance {
  const warnings: string[] = [];
  const onWarning = (message: string) => {
    warnings.push(message);
    extra.onWarning?.(message);
  };
  if (db.kind === "pglite") {
    // One embedded connection for all: count this instance's store calls (one round trip each).
    const queries = counter();
    const sessions = createSessions({ ...options, store: countCalls(drizzleStore(db.db), queries), onWarning });
    return { name, sessions, queries, warnings, close: () => sessions.close() };
  }
  const appName = `sk-${name}-${suffix()}`;
  const pool =
    db.kind === "node-postgres"
      ? (({ pool, db: poolDb, queries }) => ({ client: pool as unknown, db: poolDb, queries, end: () => pool.end() }))(
          nodePgPool(pgUrl(db.url as string, extra.clientOptions), db.schema as string, undefined, { application_name: appName }),
        )
      : (({ sql, db: poolDb, queries }) => ({ client: sql as unknown, db: poolDb, queries, end: () => sql.end({ timeout: 1 }) }))(
          postgresClient(db.url as string, db.schema as string, undefined, {
            connection: { search_path: db.schema as string, application_name: appName },
            ...extra.clientOptions,
          }),
        );
  const store = drizzleStore(pool.db);
  const timings = extra.timings;
  const sessions = createSessions({
    ...options,
    store: timings
      ? { ...store, listen: (channel, handlers, signal) => listenOn(pool.client, channel, handlers, { timings, signal }) }
      : store,
    onWarning,
  });
  return {
    name,
    sessions,
    queries: pool.queries,
    appName,
    warnings,
    async close() {
      await sessions.close();
      await pool.end();
    },
  };
}

/** node-postgres takes host and port from its connection string over its config: put them there. */
function pgUrl(url: string, options: Record<string, unknown> = {}): string {
  const parsed = new URL(url);
  if (options.host !== undefined) parsed.hostname = String(options.host);
  if (options.port !== undefined) parsed.port = String(options.port);
  return parsed.toString();
}

/** The same store, counting calls of every method but `listen` (the listener's own connection). */
function countCalls(store: SessionStore, queries: TestDb["queries"]): SessionStore {
  const counted = { ...store } as Record<string, unknown>;
  for (const [name, method] of Object.entries(store)) {
    if (name === "listen" || typeof method !== "function") continue;
    counted[name] = (...args: unknown[]) => {
      queries.count++;
      queries.log.push(name);
      return (method as (...a: unknown[]) => unknown)(...args);
    };
  }
  return counted as unknown as SessionStore;
}

/** A request carrying the cookies (and anti-csrf header) a response set. */
export function requestFrom(responseHeaders: Headers, method = "GET"): Request {
  const cookies = responseHeaders.getSetCookie().map((line) => line.split(";")[0]);
  const headers = new Headers({ cookie: cookies.join("; "), rid: "session" });
  const anti = responseHeaders.get("anti-csrf");
  if (anti) headers.set("anti-csrf", anti);
  return new Request("http://localhost/x", { method, headers });
}

/** Verifies a request on an instance: "ok", or the SessionError code. */
export async function verify(instance: Instance, request: Request): Promise<string> {
  try {
    await instance.sessions.getSession(request, new Headers());
    return "ok";
  } catch (error) {
    if (isSessionError(error)) return error.code;
    throw error;
  }
}

/** Verifies and counts the statements the instance sent meanwhile. */
export async function verifyCounted(instance: Instance, request: Request): Promise<{ result: string; queries: number }> {
  const before = instance.queries.count;
  const result = await verify(instance, request);
  return { result, queries: instance.queries.count - before };
}

/** Waits (real time, with a deadline) until verification on the instance costs no query: the listener is live. */
export async function waitLive(instance: Instance, request: Request, deadlineMs = 10_000): Promise<number> {
  const start = performance.now();
  for (;;) {
    const { result, queries } = await verifyCounted(instance, request);
    if (result !== "ok") throw new Error(`${instance.name}: the probe session was rejected (${result})`);
    if (queries === 0) return performance.now() - start;
    if (performance.now() - start > deadlineMs) throw new Error(`${instance.name}: the revocation listener did not go live`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Polls until `check` holds (real async events like a NOTIFY arriving), with a deadline. */
export async function until(check: () => boolean | Promise<boolean>, deadlineMs = 5000, what = "condition"): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return performance.now() - start;
}

/** Percentiles of a list of numbers (ms), for the report. */
export function summary(values: number[]): { n: number; min: number; p50: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    n: sorted.length,
    min: round(sorted[0] ?? Number.NaN),
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}
