// A tRPC app written the way docs/trpc.md shows, against the packed package. It has neither
// graphql nor graphql-yoga installed. Prints {"url": ...} once it listens; SIGTERM closes it.

import { createServer } from "node:http";
import { TRPCError, initTRPC } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { createSessions, isSessionError } from "sessionkit";
import { drizzleStore, migrate } from "sessionkit/drizzle";
import { type SessionContext, createSessionContext, requireSession, sessionErrorFormatter, sessionResponseMeta } from "sessionkit/trpc";
import { openDatabase } from "./db.js";

const database = await openDatabase();
await migrate(database.db);
const sessions = createSessions({ store: drizzleStore(database.db), revocation: "notify", cookies: { secure: false } });

const t = initTRPC.context<SessionContext>().create({ errorFormatter: sessionErrorFormatter });
const protectedProcedure = t.procedure.use(requireSession());

const appRouter = t.router({
  hello: t.procedure.query(({ ctx }) => (ctx.session ? `hello ${ctx.session.getUserId()}` : "hello stranger")),
  signIn: t.procedure
    .input((raw: unknown) => raw as { name: string; password: string })
    .mutation(async ({ ctx, input }) => {
      if (input.password !== `${input.name}-password`) throw new TRPCError({ code: "BAD_REQUEST" });
      const session = await ctx.createNewSession({ userId: `user-${input.name}`, jwtPayload: { name: input.name } });
      return { handle: session.getHandle() };
    }),
  me: protectedProcedure.query(({ ctx }) => ({ userId: ctx.session.getUserId(), payload: ctx.session.getJWTPayload() })),
  visits: protectedProcedure.mutation(({ ctx }) =>
    ctx.session.modifySessionData<{ visits?: number }>((data) => ({ visits: (data.visits ?? 0) + 1 })),
  ),
  signOut: protectedProcedure.mutation(({ ctx }) => ctx.session.revokeSession()),
});
export type AppRouter = typeof appRouter;

const trpc = createHTTPHandler({
  router: appRouter,
  createContext: createSessionContext(sessions),
  responseMeta: sessionResponseMeta,
  basePath: "/trpc/",
});
const sessionRoutes = sessions.middleware();
const server = createServer((req, res) => {
  void sessionRoutes(req, res, (error) => {
    if (!error) return trpc(req, res);
    res.statusCode = isSessionError(error) ? error.status : 500;
    res.end();
  });
});

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(async () => {
    await sessions.close();
    await database.close();
    process.exit(0);
  });
});
