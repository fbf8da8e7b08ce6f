// Type-level tests of the tRPC adapter, checked by `npm run typecheck` (tsc): requireSession()
// narrows ctx.session, composes with the user's context and middlewares, and the formatter's
// sessionCode reaches the client's error type. The runtime part only makes sure the file loads.

import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { TRPCError, initTRPC, type inferRouterError } from "@trpc/server";
import { describe, expectTypeOf, it } from "vitest";
import { createSessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";
import { type JsonObject, type Session, type SessionErrorCode, type Sessions, createSessions } from "../../src/index.js";

function build(sessions: Sessions) {
  const createContext = createSessionContext(sessions);
  const own = async (opts: Parameters<typeof createContext>[0]) => ({ ...(await createContext(opts)), db: 42 as const });
  const t = initTRPC.context<typeof own>().meta<{ role?: string }>().create({ errorFormatter: sessionErrorFormatter });
  const protectedProcedure = t.procedure.use(requireSession());
  const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
    expectTypeOf(ctx.session).toEqualTypeOf<Session>();
    if (ctx.session.getJWTPayload().role !== "admin") throw new TRPCError({ code: "FORBIDDEN" });
    return next();
  });

  const router = t.router({
    pub: t.procedure.query(({ ctx }) => {
      expectTypeOf(ctx.session).toEqualTypeOf<Session | undefined>();
      // @ts-expect-error a public procedure may have no session
      ctx.session.getUserId();
      return ctx.db;
    }),
    me: protectedProcedure.query(({ ctx }) => {
      expectTypeOf(ctx.session).toEqualTypeOf<Session>();
      expectTypeOf(ctx.db).toEqualTypeOf<42>();
      expectTypeOf(ctx.sessions).toEqualTypeOf<Sessions>();
      return ctx.session.getUserId();
    }),
    admin: adminProcedure.mutation(({ ctx }) => ctx.session.getHandle()),
    // After the user's own middleware, and with per-procedure options.
    piped: t.procedure
      .use(async ({ next }) => next({ ctx: { requestId: "r1" } }))
      .use(requireSession({ antiCsrfCheck: true }))
      .query(({ ctx }) => {
        expectTypeOf(ctx.session).toEqualTypeOf<Session>();
        expectTypeOf(ctx.requestId).toEqualTypeOf<string>();
      }),
    signIn: t.procedure.mutation(async ({ ctx }) => {
      const session = await ctx.createNewSession({ userId: "u1", jwtPayload: { role: "admin" } });
      expectTypeOf(session).toEqualTypeOf<Session>();
    }),
  });

  const client = createTRPCClient<typeof router>({ links: [httpBatchLink({ url: "http://x/trpc" })] });
  expectTypeOf(client.me.query).returns.resolves.toEqualTypeOf<string>();
  return { router, client };
}

type AppRouter = ReturnType<typeof build>["router"];

describe("tRPC types", () => {
  it("compile (checked by tsc)", () => {
    expectTypeOf(build).toBeFunction();
    expectTypeOf<inferRouterError<AppRouter>["data"]["sessionCode"]>().toEqualTypeOf<SessionErrorCode | undefined>();
    expectTypeOf<inferRouterError<AppRouter>["data"]["httpStatus"]>().toEqualTypeOf<number>();
  });
});

// Typed payload: createSessions<P>() carries P into the context, and requireSession() infers it.
type Payload = { role: "admin" | "user"; name: string };

function typed(sessions: Sessions<Payload>) {
  const createContext = createSessionContext(sessions);
  const own = async (opts: Parameters<typeof createContext>[0]) => ({ ...(await createContext(opts)), db: 42 as const });
  const t = initTRPC.context<typeof own>().create({ errorFormatter: sessionErrorFormatter });
  const protectedProcedure = t.procedure.use(requireSession());
  return t.router({
    pub: t.procedure.query(({ ctx }) => {
      expectTypeOf(ctx.session).toEqualTypeOf<Session<Payload> | undefined>();
      expectTypeOf(ctx.sessions).toEqualTypeOf<Sessions<Payload>>();
    }),
    me: protectedProcedure.query(({ ctx }) => {
      expectTypeOf(ctx.session).toEqualTypeOf<Session<Payload>>();
      expectTypeOf(ctx.session.getJWTPayload()).toEqualTypeOf<Payload>();
      expectTypeOf(ctx.db).toEqualTypeOf<42>();
      // @ts-expect-error: not a key of the payload
      ctx.session.getJWTPayload().admin;
      return ctx.session.getJWTPayload().role;
    }),
    rename: protectedProcedure.mutation(async ({ ctx }) => {
      await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), name: "n" });
      // @ts-expect-error: role is "admin" | "user"
      await ctx.session.updateJWTPayload({ role: "root", name: "n" });
      // @ts-expect-error: name is missing
      await ctx.session.updateJWTPayload({ role: "user" });
    }),
    piped: t.procedure
      .use(async ({ next }) => next({ ctx: { requestId: "r1" } }))
      .use(requireSession({ antiCsrfCheck: true }))
      .query(({ ctx }) => {
        expectTypeOf(ctx.session).toEqualTypeOf<Session<Payload>>();
        expectTypeOf(ctx.requestId).toEqualTypeOf<string>();
      }),
    signIn: t.procedure.mutation(async ({ ctx }) => {
      const session = await ctx.createNewSession({ userId: "u1", jwtPayload: { role: "user", name: "n" } });
      expectTypeOf(session).toEqualTypeOf<Session<Payload>>();
      // @ts-expect-error: a payload of the wrong shape
      await ctx.createNewSession({ userId: "u1", jwtPayload: { role: 1 } });
    }),
  });
}

describe("typed payload", () => {
  it("createSessions<P>() gives Sessions<P> and Session<P> (checked by tsc)", () => {
    expectTypeOf(typed).toBeFunction();
    expectTypeOf(createSessions<Payload>).returns.toEqualTypeOf<Sessions<Payload>>();
    expectTypeOf<Awaited<ReturnType<Sessions<Payload>["createNewSession"]>>>().toEqualTypeOf<Session<Payload>>();
    expectTypeOf<Awaited<ReturnType<Sessions<Payload>["refreshSession"]>>>().toEqualTypeOf<Session<Payload>>();
    expectTypeOf<Parameters<Sessions<Payload>["updateJWTPayload"]>[1]>().toEqualTypeOf<Payload>();
    expectTypeOf<NonNullable<Awaited<ReturnType<Sessions<Payload>["getSessionInformation"]>>>["jwtPayload"]>().toEqualTypeOf<Payload>();
    // The default stays the untyped JSON object of 0.1.
    expectTypeOf<ReturnType<Session["getJWTPayload"]>>().toEqualTypeOf<JsonObject>();
  });
});
