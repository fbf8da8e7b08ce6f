// sessionkit behind tRPC (standalone Node adapter): `createSessionContext`, `requireSession()`,
// revocation mode from BENCH_REVOCATION.

import { createSessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";
import { type RevocationMode, createSessions } from "../../src/index.js";
import type { SessionContext } from "../../src/adapters/trpc/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { env, openDb, serve } from "./common.js";
import { benchHandler } from "./router.js";

const bench = await openDb();
const sessions = createSessions({
  store: drizzleStore(bench.db),
  revocation: env("BENCH_REVOCATION", "none") as RevocationMode,
  notifyChannel: env("BENCH_NOTIFY_CHANNEL", "sessionkit_revocations"),
  cookies: { secure: false },
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
);

serve(handler, async () => {
  await sessions.close();
  await bench.close();
});
