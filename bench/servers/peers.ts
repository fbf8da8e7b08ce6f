// The peers behind the same tRPC router as sessionkit (BENCH_PEER): better-auth's session check
// on its Drizzle adapter (cookie cache off or on), Lucia v3's look-up-every-request pattern, and
// plain jose verification of a JWT on every request (no cache, no row: stateless), and "jose +
// refresh row" (the same JWT plus a hashed, rotated refresh token in Postgres, what a user would
// hand-roll); each with its own sign-in and refresh (extend, re-sign or rotate) for the sign-in
// and refresh comparisons.

import type { IncomingMessage, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { fromNodeHeaders } from "better-auth/node";
import { SignJWT, generateKeyPair, jwtVerify } from "jose";
import { joseRefreshSessions } from "../peers/jose-refresh.js";
import { luciaSessions } from "../peers/lucia.js";
import { PEER_TABLES_SQL, betterAuthSchema, luciaUser } from "../peers/tables.js";
import { cookieValue, env, openDb, serve } from "./common.js";
import { type Auth, benchHandler } from "./router.js";

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
}

const unauthorized = () => new TRPCError({ code: "UNAUTHORIZED" });
const createContext = ({ req, res }: Ctx): Ctx => ({ req, res });

const peer = env("BENCH_PEER");
/** sessionkit's default signing algorithm, so the jose peer signs and verifies what sessionkit does. */
const JOSE_ALGORITHM = env("BENCH_JOSE_ALGORITHM", "ES256");
const bench = await openDb(async (db) => {
  await db.exec(PEER_TABLES_SQL);
});

/** better-auth's options as the bench runs them; passwords are not hashed, so sign-in measures sessions, not scrypt. */
function betterAuthWith(cookieCache: boolean, updateAge?: number) {
  return betterAuth({
    database: drizzleAdapter(bench.db as never, { provider: "pg", schema: betterAuthSchema }),
    secret: "sessionkit-bench-better-auth-secret-0123456789",
    baseURL: "http://127.0.0.1",
    emailAndPassword: {
      enabled: true,
      password: { hash: async (password) => password, verify: async ({ hash, password }) => hash === password },
    },
    // updateAge 0: every getSession extends the session, which is better-auth's refresh.
    session: { cookieCache: { enabled: cookieCache, maxAge: 300 }, ...(updateAge === undefined ? {} : { updateAge }) },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
  });
}

async function betterAuthPeer(cookieCache: boolean): Promise<Auth<Ctx>> {
  const auth = betterAuthWith(cookieCache);
  const refreshing = betterAuthWith(false, 0);
  const signedUp = new Set<string>();
  const forward = (ctx: Ctx, headers: Headers) => {
    const cookies = headers.getSetCookie();
    if (cookies.length > 0) ctx.res.setHeader("set-cookie", cookies);
  };
  return {
    createContext,
    async userIdOf(ctx) {
      const found = await auth.api.getSession({ headers: fromNodeHeaders(ctx.req.headers) });
      if (!found) throw unauthorized();
      return found.user.name;
    },
    async signIn(ctx, userId) {
      const credentials = { email: `${userId}@bench.invalid`, password: "bench-password-0123" };
      if (!signedUp.has(userId)) {
        signedUp.add(userId);
        await auth.api.signUpEmail({ body: { ...credentials, name: userId } }).catch(() => {});
      }
      const { headers } = await auth.api.signInEmail({ body: credentials, returnHeaders: true });
      forward(ctx, headers);
    },
    async refresh(ctx) {
      const { headers, response } = await refreshing.api.getSession({ headers: fromNodeHeaders(ctx.req.headers), returnHeaders: true });
      if (!response) throw unauthorized();
      forward(ctx, headers);
    },
  };
}

function luciaPeer(): Auth<Ctx> {
  const lucia = luciaSessions(bench.db);
  return {
    createContext,
    async userIdOf(ctx) {
      const token = cookieValue(ctx.req.headers.cookie, "session");
      if (!token) throw unauthorized();
      const { user } = await lucia.validateSessionToken(token);
      if (!user) throw unauthorized();
      return user.id;
    },
    async signIn(ctx, userId) {
      await bench.db.insert(luciaUser).values({ id: userId, username: userId }).onConflictDoNothing();
      const token = lucia.generateSessionToken();
      const session = await lucia.createSession(token, userId);
      ctx.res.setHeader("set-cookie", `session=${token}; HttpOnly; SameSite=Lax; Path=/; Expires=${session.expiresAt.toUTCString()}`);
    },
    async refresh(ctx) {
      const token = cookieValue(ctx.req.headers.cookie, "session");
      const session = token ? await lucia.extendSession(token) : undefined;
      if (!session) throw unauthorized();
      ctx.res.setHeader("set-cookie", `session=${token}; HttpOnly; SameSite=Lax; Path=/; Expires=${session.expiresAt.toUTCString()}`);
    },
  };
}

async function josePeer(): Promise<Auth<Ctx>> {
  // The same algorithm as sessionkit's default, keys imported once.
  const { privateKey, publicKey } = await generateKeyPair(JOSE_ALGORITHM);
  const sign = (sub: string) =>
    new SignJWT({ sub }).setProtectedHeader({ alg: JOSE_ALGORITHM, typ: "JWT" }).setIssuedAt().setExpirationTime("1h").sign(privateKey);
  const verified = async (ctx: Ctx): Promise<string> => {
    const token = cookieValue(ctx.req.headers.cookie, "token");
    if (!token) throw unauthorized();
    try {
      const { payload } = await jwtVerify(token, publicKey, { algorithms: [JOSE_ALGORITHM] });
      if (typeof payload.sub !== "string") throw unauthorized();
      return payload.sub;
    } catch {
      throw unauthorized();
    }
  };
  return {
    createContext,
    userIdOf: verified,
    async signIn(ctx, userId) {
      ctx.res.setHeader("set-cookie", `token=${await sign(userId)}; HttpOnly; SameSite=Lax; Path=/`);
    },
    // A plain JWT has no refresh of its own: verify the token, sign a new one.
    async refresh(ctx) {
      ctx.res.setHeader("set-cookie", `token=${await sign(await verified(ctx))}; HttpOnly; SameSite=Lax; Path=/`);
    },
  };
}

async function joseRefreshPeer(): Promise<Auth<Ctx>> {
  const jose = await joseRefreshSessions(bench, JOSE_ALGORITHM);
  const setCookies = (ctx: Ctx, tokens: { access: string; refresh: string }) =>
    ctx.res.setHeader("set-cookie", [
      `token=${tokens.access}; HttpOnly; SameSite=Lax; Path=/`,
      `refresh=${tokens.refresh}; HttpOnly; SameSite=Strict; Path=/trpc/refresh`,
    ]);
  return {
    createContext,
    async userIdOf(ctx) {
      const token = cookieValue(ctx.req.headers.cookie, "token");
      const userId = token ? await jose.verify(token) : undefined;
      if (userId === undefined) throw unauthorized();
      return userId;
    },
    async signIn(ctx, userId) {
      setCookies(ctx, await jose.signIn(userId));
    },
    async refresh(ctx) {
      const presented = cookieValue(ctx.req.headers.cookie, "refresh");
      const tokens = presented ? await jose.refresh(presented) : undefined;
      if (!tokens) throw unauthorized();
      setCookies(ctx, tokens);
    },
  };
}

const auth =
  peer === "better-auth"
    ? await betterAuthPeer(false)
    : peer === "better-auth-cache"
      ? await betterAuthPeer(true)
      : peer === "lucia"
        ? luciaPeer()
        : peer === "jose"
          ? await josePeer()
          : peer === "jose-refresh"
            ? await joseRefreshPeer()
            : undefined;
if (!auth) throw new Error(`unknown BENCH_PEER ${peer}`);

serve(benchHandler(auth), () => bench.close());
