// CPU cost per call, in one process, one call at a time: what each session operation costs on
// top of the one bare statement it replaces, and which parts (signing, hashing, query building)
// make up the difference. Explains the HTTP figures of run.ts; not part of `npm run bench`.
// Usage: [DATABASE_URL=…] npx tsx bench/cost.ts [--n=2000] [--algorithm=ES256] [--crypto=node|webcrypto]

import { parseArgs } from "node:util";
import { cryptoProvider } from "../src/core/crypto.js";
import { hmac, sha256 } from "../src/core/encoding.js";
import { engineOf } from "../src/core/internal.js";
import { type SigningAlgorithm, createSessions } from "../src/index.js";
import { drizzleStore } from "../src/storage/index.js";
import { benchDatabaseFromEnv } from "./lib/database.js";
import { BENCH_SECRET, openDb } from "./servers/common.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "2000" },
    algorithm: { type: "string", default: "ES256" },
    crypto: { type: "string", default: "node" },
  },
});
// --crypto=webcrypto measures the provider other runtimes use.
cryptoProvider(values.crypto === "webcrypto" ? "webcrypto" : "node");
const N = Number(values.n);
const schema = await benchDatabaseFromEnv();

try {
  const bench = await openDb();
  const sessions = createSessions({
    store: drizzleStore(bench.db),
    secret: BENCH_SECRET,
    cookies: { secure: false },
    algorithm: values.algorithm as SigningAlgorithm,
    refreshGraceSeconds: 3600,
  });
  const uncached = createSessions({
    store: drizzleStore(bench.db),
    secret: BENCH_SECRET,
    tokenCacheSize: 0,
    algorithm: values.algorithm as SigningAlgorithm,
  });
  const engine = engineOf(sessions);
  const headers = new Headers();
  const created = await sessions.createNewSession({ userId: "cost", jwtPayload: { role: "member" } }, headers);
  const handle = created.getHandle();
  const cookieOf = (name: string, h: Headers) =>
    h
      .getSetCookie()
      .find((c) => c.startsWith(`${name}=`))
      ?.split(";")[0] ?? "";
  const access = cookieOf("sAccessToken", headers);
  let refresh = cookieOf("sRefreshToken", headers);
  await uncached.getSession({ headers: { cookie: access } }, new Headers());

  const rows: [string, number, number][] = [];
  async function measure(name: string, fn: () => Promise<unknown>): Promise<void> {
    for (let i = 0; i < Math.min(200, N); i++) await fn();
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < N; i++) await fn();
    const wall = ((performance.now() - start) * 1000) / N;
    const used = process.cpuUsage(cpu);
    rows.push([name, wall, (used.user + used.system) / N]);
  }

  const now = () => new Date().toISOString();
  await measure("bare UPDATE … RETURNING", () =>
    bench.query(
      "UPDATE sessionkit_sessions SET refresh_generation = refresh_generation + 1, rotated_at = $2::timestamptz WHERE handle = $1 AND expires_at > $2::timestamptz RETURNING user_id, jwt_payload, refresh_hash, expires_at",
      [handle, now()],
    ),
  );
  await measure("refreshSession", async () => {
    const h = new Headers();
    await sessions.refreshSession({ method: "POST", headers: { cookie: refresh, rid: "session" } }, h);
    refresh = cookieOf("sRefreshToken", h);
  });
  await measure("  of which: sign an access token", () =>
    engine.tokens.sign({ userId: "cost", handle, payload: { role: "member" }, antiCsrfToken: undefined, authTime: Date.now() }),
  );
  await measure("  of which: store.rotateRefresh (drizzle)", () =>
    engine.options.store.rotateRefresh({
      handle: "00000000-0000-4000-8000-000000000000",
      presentedHash: "x",
      nextHash: "y",
      nextNonce: "z",
      nextGeneration: 1,
      now: new Date(),
      expiresAt: new Date(Date.now() + 1e9),
    }),
  );
  await measure(`  of which: one SHA-256 (${cryptoProvider()})`, () => sha256(refresh));
  const hmacKey = await engine.keys.refreshKey();
  await measure(`  of which: one HMAC (${cryptoProvider()})`, () => hmac(hmacKey, refresh));
  await measure("bare SELECT 1", () =>
    bench.query("SELECT 1 FROM sessionkit_sessions WHERE handle = $1 AND expires_at > $2::timestamptz LIMIT 1", [handle, now()]),
  );
  await measure("store.sessionExists (drizzle)", () => engine.options.store.sessionExists(handle, new Date()));
  await measure("getSession, cached token", () => sessions.getSession({ headers: { cookie: access } }, headers));
  await measure("getSession, verified every time", () => uncached.getSession({ headers: { cookie: access } }, headers));
  await measure("bare SELECT session_data", () =>
    bench.query("SELECT session_data FROM sessionkit_sessions WHERE handle = $1 AND expires_at > $2::timestamptz", [handle, now()]),
  );
  await measure("Session.getSessionData", () => created.getSessionData());
  await measure("bare UPDATE jwt_payload", () =>
    bench.query(
      "UPDATE sessionkit_sessions SET jwt_payload = $1::text::jsonb WHERE handle = $2 AND expires_at > $3::timestamptz RETURNING handle",
      ['{"role":"member"}', handle, now()],
    ),
  );
  await measure("Session.updateJWTPayload", () => created.updateJWTPayload({ role: "member" }));

  console.log(`${bench.kind}, ${values.algorithm}, ${N} calls each, one at a time (CPU = this process, all threads)\n`);
  console.log(`${"call".padEnd(44)} ${"wall µs".padStart(9)} ${"CPU µs".padStart(9)}`);
  for (const [name, wall, cpu] of rows) console.log(`${name.padEnd(44)} ${wall.toFixed(0).padStart(9)} ${cpu.toFixed(0).padStart(9)}`);
  await sessions.close();
  await uncached.close();
  await bench.close();
} finally {
  await schema?.drop();
}
