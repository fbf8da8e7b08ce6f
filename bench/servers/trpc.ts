// sessionkit behind tRPC (standalone Node adapter): `createSessionContext`, `requireSession()`,
// revocation mode from BENCH_REVOCATION. With BENCH_CLAIMS=1 every token carries a role claim
// and `admin` is `me` behind `requireSession({ claims: [roles.includes("admin")] })`.

import { createSessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";
import { type RevocationMode, type SigningAlgorithm, claim, createSessions } from "../../src/index.js";
import type { SessionContext } from "../../src/adapters/trpc/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { BENCH_SECRET, env, openDb, serve } from "./common.js";
import { benchHandler } from "./router.js";
import { telemetryOf } from "./telemetry.js";

const bench = await openDb();
// BENCH_TELEMETRY: unset (no option), "off" (the API module, no SDK) or "on" (an SDK registered).
const telemetry = await telemetryOf(process.env.BENCH_TELEMETRY);
const withClaims = env("BENCH_CLAIMS", "0") === "1";
const roles = claim<string[]>("st-role", { fetch: () => ["admin"], maxAgeSeconds: 3600 });
const sessions = createSessions({
  ...(withClaims ? { claims: [roles] } : {}),
  store: drizzleStore(bench.db),
  secret: BENCH_SECRET,
  revocation: env("BENCH_REVOCATION", "none") as RevocationMode,
  notifyChannel: env("BENCH_NOTIFY_CHANNEL", "sessionkit_revocations"),
  cookies: { secure: false },
  // The load generator drops the answer of a request still in flight when a turn ends; on a busy
  // machine the connection's next turn can come more than the default 10 s later, and its stale
  // token would count as theft. A longer window changes nothing on the measured path.
  refreshGraceSeconds: Number(env("BENCH_REFRESH_GRACE", "10")),
  // BENCH_TOKEN_CACHE_SIZE: bench/ab.ts's A/B of the verified-token cache (unset: the default).
  ...(process.env.BENCH_TOKEN_CACHE_SIZE ? { tokenCacheSize: Number(process.env.BENCH_TOKEN_CACHE_SIZE) } : {}),
  ...(process.env.BENCH_ALGORITHM ? { algorithm: process.env.BENCH_ALGORITHM as SigningAlgorithm } : {}),
  ...(telemetry ? { telemetry } : {}),
  onWarning: (message) => console.error(`[trpc ${process.env.BENCH_REVOCATION}] ${message}`),
});

const handler = benchHandler<SessionContext>(
  {
    createContext: createSessionContext(sessions) as never,
    userIdOf: () => {
      throw new Error("requireSession() protects this server");
    },
    whoami: (ctx) => (ctx.session as NonNullable<SessionContext["session"]>).getUserId(),
    signIn: async (ctx, userId) => void (await ctx.createNewSession({ userId })),
    errorFormatter: sessionErrorFormatter,
  },
  requireSession(),
  withClaims ? requireSession({ claims: [roles.includes("admin")] }) : undefined,
);

// Refresh and sign-out in front of tRPC, as an app serves them (the peers suite measures refresh).
const routes = sessions.middleware();
serve(
  (req, res) => {
    void routes(req, res).then((answered) => {
      if (!answered) handler(req, res);
    });
  },
  async () => {
    await sessions.close();
    await bench.close();
  },
);
