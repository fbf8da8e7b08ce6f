// Session operations next to one bare statement each, on the same driver and the same
// node:http server: refresh vs UPDATE … RETURNING, createNewSession vs INSERT, getSessionData vs
// SELECT, updateJWTPayload vs UPDATE. Bare routes name their row in `x-handle`.

import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { BENCH_SECRET, json, openDb, readBody, type Route, serveRoutes } from "./common.js";

const bench = await openDb();
const sessions = createSessions({
  store: drizzleStore(bench.db),
  secret: BENCH_SECRET,
  cookies: { secure: false },
  // A round ends with one refresh per connection in flight whose answer the load generator
  // drops; the next round presents the token before it. A long grace window lets that one
  // request re-derive the current token instead of counting as theft.
  refreshGraceSeconds: 3600,
  onWarning: (m) => console.error(`[ops] ${m}`),
});
// The same on EdDSA keys, under /eddsa/auth: how much of a refresh is the RS256 signature.
const eddsa = createSessions({
  store: drizzleStore(bench.db),
  secret: BENCH_SECRET,
  cookies: { secure: false },
  refreshGraceSeconds: 3600,
  algorithm: "EdDSA",
  basePath: "/eddsa/auth",
  onWarning: (m) => console.error(`[ops eddsa] ${m}`),
});
const middleware = sessions.middleware();
const eddsaMiddleware = eddsa.middleware();
const DAY_MS = 24 * 3600 * 1000;
let payloadCounter = 0;

const handleOf = (req: IncomingMessage) => String(req.headers["x-handle"] ?? "");

const routes: Record<string, Route> = {
  async "POST /setup/session"(req, res) {
    const { userId, algorithm } = JSON.parse(await readBody(req)) as { userId: string; algorithm?: string };
    const on = algorithm === "EdDSA" ? eddsa : sessions;
    const session = await on.createNewSession({ userId, jwtPayload: { n: 0 }, sessionData: { cart: [1, 2, 3] } }, res);
    json(res, { handle: session.getHandle() });
  },

  async "POST /bare/rotate"(req, res) {
    const now = new Date().toISOString();
    const rows = await bench.query(
      `UPDATE sessionkit_sessions SET refresh_generation = refresh_generation + 1, rotated_at = $2::timestamptz
       WHERE handle = $1 AND expires_at > $2::timestamptz
       RETURNING user_id, jwt_payload, refresh_hash, expires_at`,
      [handleOf(req), now],
    );
    json(res, rows[0] ? { userId: rows[0].user_id } : {}, rows[0] ? 200 : 404);
  },

  async "POST /ops/create"(_req, res) {
    await sessions.createNewSession({ userId: "bench-create" }, res);
    json(res, {});
  },

  async "POST /bare/insert"(_req, res) {
    const now = Date.now();
    await bench.query(
      `INSERT INTO sessionkit_sessions (handle, user_id, jwt_payload, session_data, refresh_hash, created_at, expires_at, last_active_at)
       VALUES ($1, $2, $3::text::jsonb, $4::text::jsonb, $5, $6::timestamptz, $7::timestamptz, $6::timestamptz)`,
      [randomUUID(), "bench-create", "{}", "{}", randomUUID(), new Date(now).toISOString(), new Date(now + 100 * DAY_MS).toISOString()],
    );
    json(res, {});
  },

  async "GET /ops/data"(req, res) {
    const session = await sessions.getSession(req, res);
    json(res, await session.getSessionData());
  },

  async "GET /bare/select"(req, res) {
    const rows = await bench.query("SELECT session_data FROM sessionkit_sessions WHERE handle = $1 AND expires_at > $2::timestamptz", [
      handleOf(req),
      new Date().toISOString(),
    ]);
    json(res, rows[0]?.session_data ?? null, rows[0] ? 200 : 404);
  },

  async "POST /ops/payload"(req, res) {
    const session = await sessions.getSession(req, res);
    await session.updateJWTPayload({ n: ++payloadCounter });
    json(res, {});
  },

  async "POST /bare/payload"(req, res) {
    const rows = await bench.query(
      "UPDATE sessionkit_sessions SET jwt_payload = $1::text::jsonb WHERE handle = $2 AND expires_at > $3::timestamptz RETURNING handle",
      [JSON.stringify({ n: ++payloadCounter }), handleOf(req), new Date().toISOString()],
    );
    json(res, {}, rows[0] ? 200 : 404);
  },
};

serveRoutes(
  "ops",
  routes,
  (req, res, next) =>
    // Refresh, sign-out, JWKS: sessionkit's own Node middleware, as an app mounts it.
    (req.url?.startsWith("/eddsa/") ? eddsaMiddleware : middleware)(req, res, next),
  async () => {
    await eddsa.close();
    await sessions.close();
    await bench.close();
  },
);
