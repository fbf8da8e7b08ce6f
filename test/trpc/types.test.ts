import { initTRPC, TRPCError } from "@trpc/server";
import { describe, expectTypeOf, it } from "vitest";
import type { Session } from "../../src/index.js";
import { createSessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";

declare const sessions: Parameters<typeof createSessionContext>[0];

describe("types", () => {
  it("narrows", () => {
    const createContext = createSessionContext(sessions);
    const own = async (opts: Parameters<typeof createContext>[0]) => ({ ...(await createContext(opts)), db: 42 as const });
    const t = initTRPC.context<typeof own>().meta<{ role?: string }>().create({ errorFormatter: sessionErrorFormatter });
    const protectedProcedure = t.procedure.use(requireSession());
    const admin = protectedProcedure.use(({ ctx, next }) => {
      expectTypeOf(ctx.session).toEqualTypeOf<Session>();
      if (ctx.session.getJWTPayload().role !== "admin") throw new TRPCError({ code: "FORBIDDEN" });
      return next();
    });
    t.router({
      pub: t.procedure.query(({ ctx }) => {
        expectTypeOf(ctx.session).toEqualTypeOf<Session | undefined>();
        return ctx.db;
      }),
      me: protectedProcedure.query(({ ctx }) => {
        expectTypeOf(ctx.session).toEqualTypeOf<Session>();
        expectTypeOf(ctx.db).toEqualTypeOf<42>();
        return ctx.session.getUserId();
      }),
      a: admin.mutation(({ ctx }) => ctx.session.getHandle()),
      b: t.procedure.use(async ({ next }) => next({ ctx: { x: 1 } })).use(requireSession()).query(({ ctx }) => {
        expectTypeOf(ctx.session).toEqualTypeOf<Session>();
        expectTypeOf(ctx.x).toEqualTypeOf<number>();
      }),
    });
  });
});
