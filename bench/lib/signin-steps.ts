// The sign-in path step by step, sessionkit next to the "jose + refresh row" peer (issue 22): each
// step of what each server does per sign-in, timed on its own in one process (CPU µs per call),
// paired with the peer's nearest step, so the gap splits into work the peer does not do and
// overhead. sessionkit's steps are those of lifecycle.ts startSession with the bench's options
// (bench/servers/trpc.ts: no maxSessionsPerUser, so the plain INSERT, not the capped function);
// the peer's are bench/peers/jose-refresh.ts signIn and bench/servers/peers.ts setCookies.

import { createHash, randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { SignJWT, generateKeyPair, jwtVerify } from "jose";
import { createSessionContext } from "../../src/adapters/trpc/index.js";
import { AccessTokens, frontToken } from "../../src/core/access-token.js";
import { ResponseWriter } from "../../src/core/http.js";
import type { engineOf } from "../../src/core/internal.js";
import { mintRefreshToken } from "../../src/core/refresh-token.js";
import type { Sessions } from "../../src/index.js";
import { preparedStatements } from "../../src/storage/statements.js";
import type { BenchDb } from "../servers/common.js";
import { PEER_TABLES_SQL } from "../peers/tables.js";

type Measure = (fn: () => unknown) => Promise<number>;
type Engine = ReturnType<typeof engineOf>;
/** One row: the step, sessionkit's µs, the peer's µs (undefined: the peer has no such step). */
export type PairedRow = [string, number | undefined, number | undefined];

export async function signInSteps(
  bench: BenchDb,
  sessions: Sessions,
  engine: Engine,
  nodeResponse: () => ServerResponse,
  measure: Measure,
): Promise<PairedRow[]> {
  await bench.exec(PEER_TABLES_SQL).catch(() => {}); // already there in a reused database
  const { options } = engine;
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const peerSign = (sub: string) =>
    new SignJWT({ sub }).setProtectedHeader({ alg: "ES256", typ: "JWT" }).setIssuedAt().setExpirationTime("3600s").sign(privateKey);
  const peerInsert = (hash: string) =>
    bench.query(`INSERT INTO jose_refresh_token (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '100 days')`, [
      hash,
      "steps-peer",
    ]);
  const peerCookies = (res: ServerResponse, access: string, refresh: string) =>
    res.setHeader("set-cookie", [
      `token=${access}; HttpOnly; SameSite=Lax; Path=/`,
      `refresh=${refresh}; HttpOnly; SameSite=Strict; Path=/trpc/refresh`,
    ]);
  const key = await engine.keys.refreshKey();
  const now = Date.now();
  const { issued } = await engine.issueAccess("steps", engine.newHandle(), {}, now, "cookie");
  const peerAccess = await peerSign("steps-peer");
  const refresh = await mintRefreshToken(key, { handle: engine.newHandle(), generation: 0, secret: options.randomBytes(32) });
  const expiresAt = new Date(now + options.refreshTokenTtl * 1000);
  const record = () => ({
    handle: engine.newHandle(),
    userId: "steps",
    jwtPayload: {},
    sessionData: {},
    refreshHash: base64(randomBytes(32)),
    createdAt: new Date(),
    expiresAt,
    remember: true,
  });
  // The client's next request: a token the cache does not hold (tokenCacheSize 0) is verified in full.
  const uncached = new AccessTokens(engine.keys, { ...options, tokenCacheSize: 0 });
  const fresh = (await uncached.sign({ userId: "steps", handle: engine.newHandle(), payload: {}, antiCsrfToken: undefined, authTime: now }))
    .token;
  // Drizzle's prepared INSERT on its own: the values the store passes, without engine.run's timer.
  const insert = preparedStatements(bench.db, true).createSession();
  const insertValues = () => {
    const r = record();
    return {
      handle: r.handle,
      userId: r.userId,
      jwtPayload: "{}",
      sessionData: "{}",
      refreshHash: r.refreshHash,
      createdAt: r.createdAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
      userAgent: null,
      ip: null,
      remember: true,
    };
  };
  const request = { method: "POST", headers: { rid: "anti-csrf", "content-type": "application/json" } };
  const sk = (fn: () => unknown) => measure(fn);
  // What bench/servers/trpc.ts does per sign-in beyond createNewSession: its refresh/sign-out
  // middleware sees the request first, then tRPC's createContext; the peer's context is { req, res }.
  const routes = sessions.middleware();
  const context = createSessionContext(sessions);
  const trpcRequest = () => ({ method: "POST", url: "/trpc/signIn", headers: { ...request.headers, host: "127.0.0.1" } });
  const info = { type: "mutation" as const, accept: null, calls: [] };
  const peerSignIn = async (res: ServerResponse) => {
    const token = randomBytes(32).toString("base64url");
    await peerInsert(createHash("sha256").update(token).digest("hex"));
    peerCookies(res, await peerSign("steps-peer"), token);
  };
  const row = async (name: string, a?: () => unknown, b?: () => unknown): Promise<PairedRow> => [
    name,
    a && (await sk(a)),
    b && (await sk(b)),
  ];
  const rows: PairedRow[] = [
    await row(
      "whole sign-in to a Node response",
      () => sessions.createNewSession({ userId: "steps" }, nodeResponse() as never, request as never),
      () => peerSignIn(nodeResponse()),
    ),
    await row(
      "as the bench servers: + middleware, context, res.end()",
      async () => {
        const req = trpcRequest();
        const res = nodeResponse();
        if (await routes(req as never, res as never)) throw new Error("sign-in is not an auth route");
        const ctx = await context({ req: req as never, res, info });
        await ctx.createNewSession({ userId: "steps" });
        res.end("{}");
      },
      async () => {
        const res = nodeResponse();
        await peerSignIn(res);
        res.end("{}");
      },
    ),
    await row("  middleware: not an auth route", () => routes(trpcRequest() as never, nodeResponse() as never), nodeResponse),
    await row(
      "  createSessionContext (no token) | { req, res }",
      () => context({ req: trpcRequest() as never, res: nodeResponse(), info }),
      nodeResponse,
    ),
    await row("  nodeResponse() (harness, in every row with a response)", nodeResponse, nodeResponse),
    await row("  handle (UUIDv7)", () => engine.newHandle()),
    await row(
      "  refresh token: 32 random + HMAC tag | + SHA-256",
      async () => mintRefreshToken(key, { handle: issued.userId, generation: 0, secret: options.randomBytes(32) }),
      () => createHash("sha256").update(randomBytes(32).toString("base64url")).digest("hex"),
    ),
    await row(
      "  access token: issueAccess | jose SignJWT (ES256)",
      () => engine.issueAccess("steps", refresh.stored, {}, now, "cookie"),
      () => peerSign("steps-peer"),
    ),
    await row(
      "  statement: store.createSession (plain INSERT) | INSERT",
      () => engine.run(() => options.store.createSession(record())),
      () => peerInsert(base64(randomBytes(32))),
    ),
    await row("    store.createSession without engine.run", () => options.store.createSession(record())),
    await row("    engine.run of a resolved promise (store timer)", () => engine.run(async () => undefined)),
    await row("    Drizzle prepared execute(values)", () => insert.execute(insertValues())),
    await row("    same INSERT as bare sql (sessionkit's 11 columns)", () =>
      bench.query(
        `INSERT INTO sessionkit_sessions (handle, user_id, jwt_payload, session_data, refresh_hash, created_at, expires_at,
           last_active_at, user_agent, ip, remember)
         VALUES ($1, $2, $3::text::jsonb, $4::text::jsonb, $5, $6::timestamptz, $7::timestamptz, $6::timestamptz, $8::text, $9::text, $10::boolean)`,
        [
          engine.newHandle(),
          "steps",
          "{}",
          "{}",
          base64(randomBytes(32)),
          new Date().toISOString(),
          expiresAt.toISOString(),
          null,
          null,
          true,
        ],
      ),
    ),
    await row(
      "  cookies: transport.write | 2 Set-Cookie (Node response)",
      () => engine.transport.write(new ResponseWriter(nodeResponse()), issued, { token: refresh.token, expiresAt }),
      () => peerCookies(nodeResponse(), peerAccess, refresh.token),
    ),
    await row("    of which frontToken", () => frontToken(issued.userId, issued.exp, issued.fullPayload)),
    await row("  claims.withAll + input checks (no claims)", async () => {
      engine.assertNewSessionInput({ userId: "steps" });
      return engine.claims.withAll("steps", {});
    }),
    await row(
      "next request: verify a token not in the cache | jose jwtVerify",
      () => uncached.verify(fresh),
      () => jwtVerify(peerAccess, publicKey, { algorithms: ["ES256"] }),
    ),
    await row("next request: verify, token cached (sign-in put it there)", () => engine.tokens.verify(issued.token)),
  ];
  // The whole sign-in less its steps (rows 5 on, first level only, not the next request's): awaits, objects, GC, events.
  const steps = rows.slice(5).filter(([name]) => name.startsWith("  ") && !name.startsWith("    "));
  const rest = (side: 1 | 2) => (rows[0]?.[side] ?? 0) - steps.reduce((sum, r) => sum + (r[side] ?? 0), 0);
  rows.push(["  unattributed (whole sign-in less its steps)", rest(1), rest(2)]);
  return rows;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
