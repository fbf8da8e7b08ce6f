// The one router shape every tRPC bench server serves, sessionkit and peers alike: only the
// context and the protecting middleware differ, so the figures compare just those.

import { initTRPC } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { z } from "zod";

/** How one implementation signs a user in and says who the caller is. */
export interface Auth<Ctx extends object> {
  createContext(opts: {
    req: import("node:http").IncomingMessage;
    res: import("node:http").ServerResponse;
    info: unknown;
  }): Ctx | Promise<Ctx>;
  /** Protects a procedure: throws UNAUTHORIZED or returns the caller's user id (unused when `protect` is given). */
  userIdOf(ctx: Ctx): string | Promise<string>;
  /** The user id inside a protected procedure; default: what the middleware put in `ctx.userId`. */
  whoami?(ctx: Ctx): string;
  /** Starts a session for `userId`, setting its cookies on this response. */
  signIn(ctx: Ctx, userId: string): Promise<void>;
  /** The library's own way to keep a session going (extend, rotate or re-sign), on this request's cookies. */
  refresh?(ctx: Ctx): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: each implementation brings its own error formatter shape
  errorFormatter?: any;
}

/**
 * `hello` (public), `me` (protected, answers the user id), `signIn` (public mutation) and, for
 * the peers, `refresh` (public mutation: what the library does instead of sessionkit's
 * `POST /auth/session/refresh`).
 * The protecting middleware is built from `auth.userIdOf` unless `protect` supplies its own
 * (sessionkit's `requireSession()`). With `claimed` (a claim check such as
 * `requireSession({ claims })`), `admin` is `me` behind that check too.
 */
export function benchHandler<Ctx extends object>(
  auth: Auth<Ctx>,
  // biome-ignore lint/suspicious/noExplicitAny: a tRPC middleware for this context
  protect?: any,
  // biome-ignore lint/suspicious/noExplicitAny: a tRPC middleware for this context
  claimed?: any,
) {
  const t = initTRPC.context<Ctx>().create(auth.errorFormatter ? { errorFormatter: auth.errorFormatter } : {});
  const protectedProcedure = protect
    ? t.procedure.use(protect)
    : t.procedure.use(async ({ ctx, next }) => next({ ctx: { ...ctx, userId: await auth.userIdOf(ctx as unknown as Ctx) } }));
  const whoami = ({ ctx }: { ctx: unknown }) => ({
    userId: auth.whoami ? auth.whoami(ctx as Ctx) : (ctx as { userId: string }).userId,
  });
  const router = t.router({
    hello: t.procedure.query(() => ({ hello: "world" })),
    me: protectedProcedure.query(whoami),
    ...(claimed ? { admin: protectedProcedure.use(claimed).query(whoami) } : {}),
    signIn: t.procedure.input(z.object({ userId: z.string() })).mutation(async ({ ctx, input }) => {
      await auth.signIn(ctx as unknown as Ctx, input.userId);
      return { ok: true };
    }),
    refresh: t.procedure.mutation(async ({ ctx }) => {
      if (!auth.refresh) throw new Error("this server refreshes at /auth/session/refresh");
      await auth.refresh(ctx as unknown as Ctx);
      return { ok: true };
    }),
  });
  return createHTTPHandler({ router, createContext: auth.createContext as never, basePath: "/trpc/" });
}
