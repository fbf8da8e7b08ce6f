// The app's tRPC router: served over HTTP by app/trpc/[trpc]/route.ts and called in-process by
// React Server Components through createCaller (lib/server-caller.ts).

import { initTRPC } from "@trpc/server";
import { type SessionContext, requireSession, sessionErrorFormatter } from "sessionkit/trpc";
import { z } from "zod";

const t = initTRPC.context<SessionContext>().create({ errorFormatter: sessionErrorFormatter });
const protectedProcedure = t.procedure.use(requireSession());

type Notes = { notes: string[] };

export const appRouter = t.router({
  hello: t.procedure.query(({ ctx }) => (ctx.session ? `Hello, ${String(ctx.session.getJWTPayload().name)}!` : "Hello, stranger!")),
  me: protectedProcedure.query(({ ctx }) => ({ userId: ctx.session.getUserId(), name: String(ctx.session.getJWTPayload().name) })),
  notes: protectedProcedure.query(async ({ ctx }) => (await ctx.session.getSessionData<Notes>())?.notes ?? []),
  addNote: protectedProcedure
    .input(z.string().trim().min(1).max(200))
    .mutation(
      async ({ ctx, input }) => (await ctx.session.modifySessionData<Notes>((data) => ({ notes: [...(data?.notes ?? []), input] }))).notes,
    ),
});

export const createCaller = t.createCallerFactory(appRouter);
export type AppRouter = typeof appRouter;
