// sessionkit in a Hono app: its routes (refresh, sign-out, JWKS) as a middleware through
// `sessions.handle`, tRPC through @hono/trpc-server with `createSessionContext(sessions)` as it
// is, and GraphQL Yoga mounted on a route with `useSessions`. The same app runs on Node
// (server.ts, @hono/node-server), Bun, Deno and Workers: it only sees fetch Requests.

import { trpcServer } from "@hono/trpc-server";
import { TRPCError, initTRPC } from "@trpc/server";
import { createSchema, createYoga } from "graphql-yoga";
import { Hono } from "hono";
import { z } from "zod";
import { type AuthedContext, type SessionContext as GraphQLContext, authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import {
  type SessionContext,
  createSessionContext,
  requireSession,
  sessionErrorFormatter,
  sessionResponseMeta,
} from "../../src/adapters/trpc/index.js";
import type { Sessions } from "../../src/index.js";
import { type SessionData, withNote } from "../shared/notes.js";
import type { Users } from "../shared/users.js";

const t = initTRPC.context<SessionContext>().create({ errorFormatter: sessionErrorFormatter });
const protectedProcedure = t.procedure.use(requireSession());

function trpcRouter(users: Users) {
  const credentials = z.object({ name: z.string().trim().toLowerCase().max(64), password: z.string().min(8).max(200) });
  return t.router({
    hello: t.procedure.query(({ ctx }) => (ctx.session ? `Hello, ${String(ctx.session.getJWTPayload().name)}!` : "Hello, stranger!")),
    signUp: t.procedure.input(credentials).mutation(async ({ ctx, input }) => {
      const user = await users.create(input.name, input.password, input.name);
      if (!user) throw new TRPCError({ code: "CONFLICT", message: "That name is taken." });
      await ctx.createNewSession({ userId: user.id, jwtPayload: { name: user.name }, sessionData: { notes: [], device: "hono" } });
      return { userId: user.id };
    }),
    signIn: t.procedure.input(credentials).mutation(async ({ ctx, input }) => {
      const user = await users.check(input.name, input.password);
      // BAD_REQUEST, never UNAUTHORIZED: clients treat a 401 as "refresh the session".
      if (!user) throw new TRPCError({ code: "BAD_REQUEST", message: "Wrong name or password." });
      await ctx.createNewSession({ userId: user.id, jwtPayload: { name: user.name } });
      return { userId: user.id };
    }),
    me: protectedProcedure.query(({ ctx }) => ({ userId: ctx.session.getUserId(), name: String(ctx.session.getJWTPayload().name) })),
    addNote: protectedProcedure
      .input(z.string().min(1).max(500))
      .mutation(async ({ ctx, input }) => (await ctx.session.modifySessionData(withNote(input))).notes.map((n) => n.text)),
    signOut: protectedProcedure.mutation(({ ctx }) => ctx.session.revokeSession()),
  });
}

export type HonoAppRouter = ReturnType<typeof trpcRouter>;

const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();

function graphqlSchema(users: Users) {
  return authDirectiveTransformer(
    createSchema<GraphQLContext>({
      typeDefs: [
        authDirectiveTypeDefs,
        /* GraphQL */ `
          type Query { hello: String!  me: String! @auth  notes: [String!]! @auth }
          type Mutation { signIn(name: String!, password: String!): Boolean!  signOut: Boolean! @auth }
        `,
      ],
      resolvers: {
        Query: {
          hello: (_: unknown, __: unknown, ctx: GraphQLContext) => (ctx.session ? "hello again" : "hello"),
          me: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getUserId(),
          notes: async (_: unknown, __: unknown, ctx: AuthedContext) =>
            ((await ctx.session.getSessionData<Partial<SessionData>>())?.notes ?? []).map((n) => n.text),
        },
        Mutation: {
          async signIn(_: unknown, args: { name: string; password: string }, ctx: GraphQLContext) {
            const user = await users.check(args.name.trim().toLowerCase().slice(0, 64), args.password.slice(0, 200));
            if (!user) return false;
            await ctx.createNewSession({ userId: user.id, jwtPayload: { name: user.name } });
            return true;
          },
          async signOut(_: unknown, __: unknown, ctx: AuthedContext) {
            await ctx.session.revokeSession();
            return true;
          },
        },
      },
    }),
  );
}

/** The Hono app: sessionkit's routes under /auth, tRPC under /trpc, GraphQL at /graphql. */
export function createHonoApp(sessions: Sessions, users: Users) {
  const yoga = createYoga({ schema: graphqlSchema(users), plugins: [useSessions(sessions)], graphqlEndpoint: "/graphql", logging: false });
  const app = new Hono();
  // sessionkit answers its own paths (POST /auth/session/refresh, POST /auth/signout, the JWKS)
  // and passes everything else on. `c` gives it the connection (the client IP trustProxy starts from).
  app.use("/auth/*", async (c, next) => (await sessions.handle(c.req.raw, c)) ?? next());
  app.use(
    "/trpc/*",
    trpcServer({
      router: trpcRouter(users),
      createContext: createSessionContext(sessions),
      // A batch holding a session failure answers 401 as a whole (the SuperTokens SDK reads only the status).
      responseMeta: sessionResponseMeta,
    }),
  );
  // Yoga wants the fetch Request itself: c.req.raw, not Hono's wrapper. c.env is the runtime's
  // connection (@hono/node-server's incoming, Bun's server, Deno's info) as `env`: the client IP.
  app.on(["GET", "POST"], "/graphql", (c) => yoga.fetch(c.req.raw, { env: c.env }));
  return app;
}
