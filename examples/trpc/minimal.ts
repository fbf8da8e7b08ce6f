import { createServer } from "node:http";
import { TRPCError, initTRPC } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { z } from "zod";
import type { Sessions } from "../../src/index.js";
import {
  type SessionContext,
  createSessionContext,
  requireSession,
  sessionErrorFormatter,
  sessionResponseMeta,
} from "../../src/adapters/trpc/index.js";

const t = initTRPC.context<SessionContext>().create({ errorFormatter: sessionErrorFormatter });
const publicProcedure = t.procedure;
const protectedProcedure = t.procedure.use(requireSession());

// Your own credential check goes here (the full example keeps scrypt-hashed accounts in a
// Drizzle table: examples/shared/users.ts). This stand-in knows one demo account.
async function checkPassword(name: string, password: string): Promise<string | undefined> {
  return name === "ada" && password === "correct horse battery" ? "user-ada" : undefined;
}

const appRouter = t.router({
  hello: publicProcedure.query(({ ctx }) => (ctx.session ? `Hello, ${ctx.session.getUserId()}!` : "Hello, stranger!")),
  signIn: publicProcedure
    .input(z.object({ name: z.string(), password: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const userId = await checkPassword(input.name, input.password);
      // BAD_REQUEST, never UNAUTHORIZED: clients treat a 401 as "refresh the session".
      if (!userId) throw new TRPCError({ code: "BAD_REQUEST", message: "Wrong name or password." });
      await ctx.createNewSession({ userId, jwtPayload: { name: input.name } }); // cookies go out with this response
      return { userId };
    }),
  me: protectedProcedure.query(({ ctx }) => ({ userId: ctx.session.getUserId(), payload: ctx.session.getJWTPayload() })),
  rename: protectedProcedure.input(z.string().min(1)).mutation(async ({ ctx, input }) => {
    await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), name: input }); // new access token at once
  }),
  signOut: protectedProcedure.mutation(({ ctx }) => ctx.session.revokeSession()),
});
export type AppRouter = typeof appRouter;

/** tRPC at /trpc, sessionkit's own routes (refresh, sign-out, JWKS) at /auth. */
export function createTrpcServer(sessions: Sessions) {
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext: createSessionContext(sessions),
    responseMeta: sessionResponseMeta,
    basePath: "/trpc/",
  });
  const sessionRoutes = sessions.middleware();
  return createServer((req, res) => {
    void sessionRoutes(req, res, (error) => {
      if (!error) return trpc(req, res);
      res.statusCode = 500;
      res.end();
    });
  });
}
