// The scale suite's server: one process per database size, on a database of generated sessions
// (bench/lib/scale-data.ts). Sign-in, refresh, getSessionData, `check-database` verification and
// listSessions through the public API; the rotation statement on random generated rows (the
// HOT-update measurement); cleanup() in the background; revocations under "notify".

import { randomUUID } from "node:crypto";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { REVOKED_PER_USER, SESSIONS_PER_USER, generatedHandle, isExpired } from "../lib/scale-data.js";
import { env, json, openDb, readBody, type Route, serveRoutes } from "./common.js";

const bench = await openDb();
const rows = Number(env("BENCH_SCALE_ROWS"));
const layout = { shape: env("BENCH_SCALE_HANDLES") === "v4" ? "v4" : "v7", baseMs: Number(env("BENCH_SCALE_BASE_MS")) } as const;
const handleOf = (n: number) => generatedHandle(n, layout);
const users = Math.max(1, Math.floor(rows / SESSIONS_PER_USER));
const store = drizzleStore(bench.db);
const onWarning = (message: string) => console.error(`[scale] ${message}`);
const common = {
  store,
  cookies: { secure: false },
  secret: "sessionkit-bench-scale-secret-0123456789",
  // Tokens minted at set-up stay valid through the run; a turn's dropped in-flight refresh is
  // not theft (see bench/servers/ops.ts).
  accessTokenTtl: 86_400,
  refreshGraceSeconds: 3600,
  onWarning,
} as const;
const sessions = createSessions(common);
const checked = createSessions({ ...common, revocation: "check-database" });
// Revocations as "notify" logs them, with a short access-token lifetime so that the log's window
// (lifetime + 60 s) is reached within the run.
const revoker = createSessions({
  ...common,
  accessTokenTtl: Number(env("BENCH_REVOCATION_TTL", "10")),
  revocation: "notify",
  notifyChannel: env("BENCH_NOTIFY_CHANNEL", "sk_bench_scale"),
});
// Sign-ins as 0.1 made them, with a random UUIDv4 handle (the store is given another handle than
// the session's: nothing else is done with these sessions): the bench's A/B of the time-ordered handle.
const v4Sessions = createSessions({
  ...common,
  store: { ...store, createSession: (record, cap) => store.createSession({ ...record, handle: randomUUID() }, cap) },
});
// The same without coalescing (a store without revokeHandles): each single revocation its own
// commit, as before 0.2's coalescing, for the same-run before/after.
const revokerUnbatched = createSessions({
  ...common,
  store: { ...store, revokeHandles: undefined },
  accessTokenTtl: Number(env("BENCH_REVOCATION_TTL", "10")),
  revocation: "notify",
  notifyChannel: env("BENCH_NOTIFY_CHANNEL", "sk_bench_scale"),
});
const middleware = sessions.middleware();

// listSessions arrives with the devices work (issue 13); until then the by-user read it replaces.
const listing = (sessions as { listSessions?: (userId: string) => Promise<unknown[]> }).listSessions?.bind(sessions);
const listSessions = listing ?? ((userId: string) => sessions.getAllSessionHandlesForUser(userId));

const random = (n: number) => Math.floor(Math.random() * n);
/** A random live generated row (1 … rows). */
function liveRow(): number {
  for (;;) {
    const n = 1 + random(rows);
    if (!isExpired(n)) return n;
  }
}

let touchState: { running: boolean; ms?: number; error?: string } = { running: false };
let cleanupState: { running: boolean; ms?: number; result?: unknown; error?: string } = { running: false };
let nextRevocation = Number(env("BENCH_REVOCATION_FROM", "0"));
// The first BENCH_REVOCATION_SINGLES rows of the range are for single revocations, the rest for sign-outs everywhere.
let nextRevokedUser = Math.ceil((nextRevocation + Number(env("BENCH_REVOCATION_SINGLES", "20000"))) / REVOKED_PER_USER);
let signIns = 0;

const routes: Record<string, Route> = {
  /**
   * Every page of the table and of its two indexes read once by each connection of the pool (set-up,
   * after pg_prewarm). A Postgres backend maps a page of shared buffers into its own page table on
   * first touch (a minor fault, ~100 µs on this VM, 16 pages at a time); pg_prewarm's backend mapping
   * them does not help the pool's. Without this the large side pays ~1.5 faults per listSessions for
   * the whole run (its users' pages are new to each connection) and the 10k side none after its first
   * milliseconds: a warm-up transient measured as a table-size cost. See bench/RESULTS.md.
   */
  async "POST /setup/touch"(_req, res) {
    // Minutes at 10M rows (longer than a fetch waits for headers): started here, polled with GET.
    const started = performance.now();
    touchState = { running: true };
    bench
      .onEachConnection([
        "BEGIN",
        "SET LOCAL max_parallel_workers_per_gather = 0",
        "SELECT count(*) FROM sessionkit_sessions WHERE length(user_agent) >= 0 OR user_agent IS NULL",
        "SET LOCAL enable_seqscan = off",
        "SET LOCAL enable_bitmapscan = off",
        "SELECT count(*) FROM sessionkit_sessions WHERE user_id >= ''",
        "SELECT count(*) FROM sessionkit_sessions WHERE handle >= ''",
        "COMMIT",
      ])
      .then(
        () => void (touchState = { running: false, ms: Math.round(performance.now() - started) }),
        (error) => void (touchState = { running: false, error: String(error) }),
      );
    json(res, {});
  },
  async "GET /setup/touch"(_req, res) {
    json(res, touchState);
  },
  /** Signs in `count` sessions and returns their cookies (set-up, not measured). */
  async "POST /setup/sessions"(req, res) {
    const { count, prefix } = JSON.parse(await readBody(req)) as { count: number; prefix: string };
    const out: { access: string; refresh: string }[] = [];
    for (let i = 0; i < count; i++) {
      const headers = new Headers();
      await sessions.createNewSession(
        { userId: `${prefix}-${i}`, jwtPayload: { role: "member" }, sessionData: { cart: [1, 2, 3] } },
        headers,
      );
      const cookie = (name: string) =>
        headers
          .getSetCookie()
          .map((line) => line.split(";")[0] ?? "")
          .find((pair) => pair.startsWith(`${name}=`))
          ?.slice(name.length + 1) ?? "";
      out.push({ access: cookie("sAccessToken"), refresh: cookie("sRefreshToken") });
    }
    json(res, out);
  },
  async "POST /signin"(_req, res) {
    await sessions.createNewSession({ userId: `signin-${process.pid}-${++signIns}`, jwtPayload: { role: "member" } }, res);
    json(res, {});
  },
  async "POST /signin-v4"(_req, res) {
    await v4Sessions.createNewSession({ userId: `signin-v4-${process.pid}-${++signIns}`, jwtPayload: { role: "member" } }, res);
    json(res, {});
  },
  async "GET /data"(req, res) {
    const session = await sessions.getSession(req, res);
    json(res, await session.getSessionData());
  },
  async "GET /verify"(req, res) {
    const session = await checked.getSession(req, res);
    json(res, { userId: session.getUserId() });
  },
  async "GET /list"(_req, res) {
    // The user of a random live row (with a tenth of rows expired, some users have none live).
    const list = await listSessions(`user-${liveRow() % users}`);
    json(res, { sessions: list.length }, list.length > 0 ? 200 : 404);
  },
  /** The store's rotation statement on a random generated row: what a refresh writes, spread over the whole table. */
  async "POST /rotate"(_req, res) {
    const now = new Date();
    const row = await store.rotateRefresh({
      handle: handleOf(liveRow()),
      presentedHash: "not-the-current-hash",
      // A generation the row never reached counts as current (a lost rotation): the row rotates.
      nextGeneration: 1_000_000_000,
      nextHash: `${now.getTime()}-next-hash-of-forty-three-characters-x`.slice(0, 43),
      nextNonce: `${now.getTime()}-next-nonce-of-forty-three-characters-`.slice(0, 43),
      now,
      expiresAt: new Date(now.getTime() + 100 * 86_400_000),
    });
    json(res, {}, row ? 200 : 404);
  },
  async "POST /cleanup"(req, res) {
    const { batchSize, pauseMs } = JSON.parse((await readBody(req)) || "{}") as { batchSize?: number; pauseMs?: number };
    cleanupState = { running: true };
    const started = performance.now();
    sessions.cleanup({ ...(batchSize === undefined ? {} : { batchSize }), ...(pauseMs === undefined ? {} : { pauseMs }) }).then(
      (result) => void (cleanupState = { running: false, ms: performance.now() - started, result }),
      (error) => void (cleanupState = { running: false, ms: performance.now() - started, error: String(error) }),
    );
    json(res, {});
  },
  async "GET /cleanup"(_req, res) {
    json(res, cleanupState);
  },
  /** Revokes the next generated session of the revocation range (logged and announced: "notify"). */
  async "POST /revoke"(_req, res) {
    const revoked = await revoker.revokeSession(handleOf(nextRevocation++));
    json(res, {}, revoked ? 200 : 404);
  },
  /** The same, each revocation its own statement and commit (no coalescing): the before. */
  async "POST /revoke-unbatched"(_req, res) {
    const revoked = await revokerUnbatched.revokeSession(handleOf(nextRevocation++));
    json(res, {}, revoked ? 200 : 404);
  },
  /** Signs out everywhere the next user of the revocation range: REVOKED_PER_USER revocations in one statement. */
  async "POST /revoke-user"(_req, res) {
    const revoked = await revoker.revokeAllSessionsForUser(`revoked-${nextRevokedUser++}`);
    json(res, { revoked: revoked.length }, revoked.length > 0 ? 200 : 404);
  },
};

serveRoutes("scale", routes, middleware, async () => {
  await revoker.close();
  await revokerUnbatched.close();
  await v4Sessions.close();
  await checked.close();
  await sessions.close();
  await bench.close();
});
