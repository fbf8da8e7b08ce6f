// The refresh, updateJWTPayload and sign-in paths step by step: each step of what the HTTP route does,
// called on its own many times in one process (CPU µs per call, this process, all threads), next
// to the bare statement the bench compares against. Explains where the HTTP ratio's extra server
// CPU goes; not part of `npm run bench`. With DATABASE_URL the store steps run on Postgres.
// Sign-in is paired with the "jose + refresh row" peer's steps (lib/signin-steps.ts).
// Usage: [DATABASE_URL=…] npx tsx bench/steps.ts [--n=5000] [--path=all|refresh|signin|update-payload|protected|cookie]
// [--revocation=none|notify|check-database] [--rounds=5] (cookie: the Cookie header through node:http and tRPC's
// standalone adapter on an in-memory connection, plain and with sessionkit's context, lib/cookie-steps.ts)
// (update-payload: the ops route POST /ops/payload step by step, lib/payload-steps.ts; protected:
// the tRPC context with and without the access-token cookie, lib/protect-steps.ts)

import { type IncomingMessage, ServerResponse } from "node:http";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { frontToken } from "../src/core/access-token.js";
import { serializeCookie } from "../src/core/cookies.js";
import { refuseDuplicateCookies } from "../src/core/duplicate-cookies.js";
import { base64url } from "../src/core/encoding.js";
import { refreshTokenOf } from "../src/core/header-transport.js";
import { ResponseWriter, requestMethod, requestPath } from "../src/core/http.js";
import { engineOf } from "../src/core/internal.js";
import { mintRefreshToken, nextSecret, openRefreshToken } from "../src/core/refresh-token.js";
import { type RevocationMode, createSessions } from "../src/index.js";
import { drizzleStore } from "../src/storage/index.js";
import { cookieSteps } from "./lib/cookie-steps.js";
import { benchDatabaseFromEnv } from "./lib/database.js";
import { payloadSteps } from "./lib/payload-steps.js";
import { protectSteps } from "./lib/protect-steps.js";
import { type PairedRow, signInSteps } from "./lib/signin-steps.js";
import { BENCH_SECRET, openDb } from "./servers/common.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "5000" },
    path: { type: "string", default: "all" },
    revocation: { type: "string", default: "none" },
    rounds: { type: "string", default: "5" },
  },
});
const N = Number(values.n);
const schema = await benchDatabaseFromEnv();

/** A Node ServerResponse on a dummy socket: what the middleware writes headers to. */
function nodeResponse(): ServerResponse {
  const req = { method: "POST", httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as IncomingMessage;
  const res = new ServerResponse(req);
  // A socket that swallows what is written: the headers are serialised as on a real connection.
  res.assignSocket(new Writable({ write: (_c, _e, cb) => cb(), writev: (_c, cb) => cb() }) as never);
  return res;
}

try {
  const bench = await openDb();
  const sessions = createSessions({
    store: drizzleStore(bench.db),
    cookies: { secure: false },
    refreshGraceSeconds: 3600,
    secret: BENCH_SECRET,
    // BENCH_TOKEN_CACHE_SIZE: the verified-token cache's size for an A/B (unset: the default).
    ...(process.env.BENCH_TOKEN_CACHE_SIZE ? { tokenCacheSize: Number(process.env.BENCH_TOKEN_CACHE_SIZE) } : {}),
    revocation: values.revocation as RevocationMode,
  });
  const engine = engineOf(sessions);
  const { options } = engine;
  const h0 = new Headers();
  const created = await sessions.createNewSession({ userId: "steps", jwtPayload: { n: 0 } }, h0);
  const handle = created.getHandle();
  const cookieOf = (name: string, h: Headers) =>
    h
      .getSetCookie()
      .find((c) => c.startsWith(`${name}=`))
      ?.split(";")[0] ?? "";
  let refresh = cookieOf("sRefreshToken", h0);
  const refreshValue = () => refresh.slice("sRefreshToken=".length);
  const access = cookieOf("sAccessToken", h0);
  const refreshRequest = () => ({ method: "POST", url: "/auth/session/refresh", headers: { cookie: refresh, rid: "session" } });

  const rows: [string, number, number][] = [];
  async function measure(name: string, fn: () => unknown, n = N): Promise<void> {
    for (let i = 0; i < Math.min(500, n); i++) await fn();
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < n; i++) await fn();
    const wall = ((performance.now() - start) * 1000) / n;
    const used = process.cpuUsage(cpu);
    rows.push([name, wall, (used.user + used.system) / n]);
  }
  const cpuOf = async (fn: () => unknown) => {
    await measure("", fn);
    return (rows.pop() as [string, number, number])[2];
  };
  if (values.path === "update-payload") await payloadSteps(bench, sessions, engine, nodeResponse, measure);
  if (values.path === "protected") await protectSteps(sessions, engine, nodeResponse, measure);
  if (values.path === "cookie") await cookieSteps(sessions, values.revocation as string, cpuOf, Number(values.rounds));
  const only = values.path === "update-payload" || values.path === "protected" || values.path === "cookie";
  const paired: PairedRow[] = values.path === "refresh" || only ? [] : await signInSteps(bench, sessions, engine, nodeResponse, cpuOf);
  const key = await engine.keys.refreshKey();
  const parts = (await openRefreshToken(key, refreshValue())) as NonNullable<Awaited<ReturnType<typeof openRefreshToken>>>;
  const nonce = options.randomBytes(32);
  const next = await mintRefreshToken(key, { handle, generation: 1, secret: await nextSecret(key, parts.secret, nonce) });
  const now = Date.now();

  // --- refresh ---
  if (values.path !== "signin" && !only) {
    await measure("refresh: whole refreshSession (fetch Headers)", async () => {
      const h = new Headers();
      await sessions.refreshSession(refreshRequest(), h);
      refresh = cookieOf("sRefreshToken", h);
    });
    const middleware = sessions.middleware();
    await measure("refresh: whole middleware to a Node response", async () => {
      const res = nodeResponse();
      await middleware(refreshRequest() as never, res as never);
      const line = (res.getHeader("set-cookie") as string[]).find((c) => c.startsWith("sRefreshToken="));
      refresh = line?.split(";")[0] ?? refresh;
    });
    await measure("  route: requestMethod + requestPath", () => {
      const r = refreshRequest();
      return requestMethod(r) + requestPath(r);
    });
    await measure("  cookies: duplicate check + refreshTokenOf", () => {
      const r = refreshRequest();
      refuseDuplicateCookies(options, engine.transport, r, new ResponseWriter(new Headers()));
      return refreshTokenOf(r, options.tokenTransfer);
    });
    await measure("  engine.run(keys.refreshKey())", () => engine.run(() => engine.keys.refreshKey()));
    await measure("  openRefreshToken (parse + HMAC)", () => openRefreshToken(key, refreshValue()));
    await measure("  nextSecret + mintRefreshToken (2 HMAC)", async () =>
      mintRefreshToken(key, { handle, generation: 2, secret: await nextSecret(key, parts.secret, nonce) }),
    );
    // The rotation against a row that stays current: presented = its hash, so it rotates each time.
    let presented = (
      await bench.query<{ refresh_hash: string }>("SELECT refresh_hash FROM sessionkit_sessions WHERE handle = $1", [handle])
    )[0]?.refresh_hash as string;
    let gen = parts.generation + 100;
    await measure("  store.rotateRefresh (drizzle, postgres.js)", async () => {
      const nextHash = base64url(options.randomBytes(32));
      await engine.run(() =>
        options.store.rotateRefresh({
          handle,
          presentedHash: presented,
          nextHash,
          nextNonce: base64url(nonce),
          nextGeneration: ++gen,
          now: new Date(),
          expiresAt: new Date(Date.now() + 1e9),
        }),
      );
      presented = nextHash;
    });
    await measure("  bare UPDATE … RETURNING (sql.unsafe, prepared)", () =>
      bench.query(
        `UPDATE sessionkit_sessions SET refresh_generation = refresh_generation + 1, rotated_at = $2::timestamptz
       WHERE handle = $1 AND expires_at > $2::timestamptz
       RETURNING user_id, jwt_payload, refresh_hash, expires_at`,
        [handle, new Date().toISOString()],
      ),
    );
    await measure("  engine.issueAccess (sign ES256)", () => engine.issueAccess("steps", handle, { n: 1 }, now, "cookie"));
    await measure("  of which keys.signingKey()", () => engine.keys.signingKey());
    const issued = (await engine.issueAccess("steps", handle, { n: 1 }, now, "cookie")).issued;
    await measure("  frontToken", () => frontToken(issued.userId, issued.exp, issued.fullPayload));
    await measure("  serializeCookie ×2", () => {
      const a = serializeCookie("sAccessToken", issued.token, {
        path: "/",
        expires: new Date(now + 1e12),
        httpOnly: true,
        secure: false,
        sameSite: "lax",
      });
      return (
        a +
        serializeCookie("sRefreshToken", next.token, {
          path: "/auth/session/refresh",
          expires: new Date(now),
          httpOnly: true,
          secure: false,
          sameSite: "lax",
        })
      );
    });
    await measure("  transport.write to fetch Headers", () =>
      engine.transport.write(new ResponseWriter(new Headers()), issued, { token: next.token, expiresAt: new Date(now + 1e9) }),
    );
    await measure("  transport.write to a Node response", () =>
      engine.transport.write(new ResponseWriter(nodeResponse()), issued, { token: next.token, expiresAt: new Date(now + 1e9) }),
    );
    await measure("  nodeResponse() (bench harness only)", () => nodeResponse());
    await measure("  a fetch Response built and read back (0.2 middleware)", async () => {
      const headers = new Headers();
      engine.transport.write(new ResponseWriter(headers), issued, { token: next.token, expiresAt: new Date(now + 1e9) });
      headers.set("content-type", "application/json; charset=utf-8");
      headers.set("cache-control", "no-store");
      const response = new Response(JSON.stringify({}), { status: 200, headers });
      const res = nodeResponse();
      response.headers.forEach((value, name) => {
        if (name !== "set-cookie") res.setHeader(name, value);
      });
      res.setHeader("set-cookie", response.headers.getSetCookie());
      return response.text();
    });

    // --- updateJWTPayload ---
    let token = access;
    await measure("payload: getSession + updateJWTPayload", async () => {
      const h = new Headers();
      const s = await sessions.getSession({ method: "POST", headers: { cookie: token, rid: "x" } }, h);
      await s.updateJWTPayload({ n: 2 });
      token = cookieOf("sAccessToken", h);
    });
    await measure("  getSession (cached token)", () =>
      sessions.getSession({ method: "POST", headers: { cookie: token, rid: "x" } }, new Headers()),
    );
    await measure("  store.setJWTPayload (drizzle)", () => engine.run(() => options.store.setJWTPayload(handle, { n: 3 }, new Date())));
    await measure("  bare UPDATE jwt_payload", () =>
      bench.query(
        "UPDATE sessionkit_sessions SET jwt_payload = $1::text::jsonb WHERE handle = $2 AND expires_at > $3::timestamptz RETURNING handle",
        [JSON.stringify({ n: 3 }), handle, new Date().toISOString()],
      ),
    );
    await measure("  Object.entries/filter claims + assertCustomPayload", () => created.getJWTPayload());
  }
  console.log(`${bench.kind}, ES256, revocation ${values.revocation}, ${N} calls each, one at a time (CPU = this process, all threads)\n`);
  console.log(`${"step".padEnd(56)} ${"wall µs".padStart(9)} ${"CPU µs".padStart(9)}`);
  for (const [name, wall, cpu] of rows) console.log(`${name.padEnd(56)} ${wall.toFixed(1).padStart(9)} ${cpu.toFixed(1).padStart(9)}`);
  if (paired.length > 0) {
    const cell = (v: number | undefined) => (v === undefined ? "—" : v.toFixed(1)).padStart(11);
    console.log(
      `\n${"sign-in step (CPU µs): sessionkit | jose + refresh row".padEnd(60)} ${"sessionkit".padStart(11)} ${"peer".padStart(11)} ${"diff".padStart(11)}`,
    );
    for (const [name, a, b] of paired)
      console.log(`${name.padEnd(60)} ${cell(a)} ${cell(b)} ${cell(a === undefined ? undefined : a - (b ?? 0))}`);
  }
  await sessions.close();
  await bench.close();
} finally {
  await schema?.drop();
}
