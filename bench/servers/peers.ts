// The peers behind the same tRPC router as sessionkit (BENCH_PEER): better-auth's session check
// on its Drizzle adapter (cookie cache off or on), Lucia v3's look-up-every-request pattern, and
// plain jose verification of an RS256 JWT on every request (no cache).

import type { IncomingMessage, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { fromNodeHeaders } from "better-auth/node";
import { SignJWT, generateKeyPair, jwtVerify } from "jose";
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
const bench = await openDb(async (db) => {
  await db.exec(PEER_TABLES_SQL);
});

async function betterAuthPeer(cookieCache: boolean): Promise<Auth<Ctx>> {
  const auth = betterAuth({
    database: drizzleAdapter(bench.db as never, { provider: "pg", schema: betterAuthSchema }),
    secret: "sessionkit-bench-better-auth-secret-0123456789",
    baseURL: "http://127.0.0.1",
    emailAndPassword: { enabled: true },
    session: { cookieCache: { enabled: cookieCache, maxAge: 300 } },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
  });
  return {
    createContext,
    async userIdOf(ctx) {
      const found = await auth.api.getSession({ headers: fromNodeHeaders(ctx.req.headers) });
      if (!found) throw unauthorized();
      return found.user.name;
    },
    async signIn(ctx, userId) {
      const { headers } = await auth.api.signUpEmail({
        body: { email: `${userId}@bench.invalid`, password: "bench-password-0123", name: userId },
        returnHeaders: true,
      });
      ctx.res.setHeader("set-cookie", headers.getSetCookie());
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
  };
}

async function josePeer(): Promise<Auth<Ctx>> {
  // The same algorithm as sessionkit's default, keys imported once.
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  return {
    createContext,
    async userIdOf(ctx) {
      const token = cookieValue(ctx.req.headers.cookie, "token");
      if (!token) throw unauthorized();
      try {
        const { payload } = await jwtVerify(token, publicKey, { algorithms: ["RS256"] });
        if (typeof payload.sub !== "string") throw unauthorized();
        return payload.sub;
      } catch {
        throw unauthorized();
      }
    },
    async signIn(ctx, userId) {
      const token = await new SignJWT({ sub: userId })
        .setProtectedHeader({ alg: "RS256", typ: "JWT" })
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey);
      ctx.res.setHeader("set-cookie", `token=${token}; HttpOnly; SameSite=Lax; Path=/`);
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
          : undefined;
if (!auth) throw new Error(`unknown BENCH_PEER ${peer}`);

serve(benchHandler(auth), () => bench.close());
