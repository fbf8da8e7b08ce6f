// The API the SDK pages talk to: one `sessions` instance behind a tRPC router and a Yoga schema,
// each able to sign in, read the session, change the payload and sign out from inside a
// procedure or a resolver; a role claim guards one procedure and one field.

import { TRPCError, initTRPC } from "@trpc/server";
import { createSchema } from "graphql-yoga";
import { z } from "zod";
import { type AuthedContext, type SessionContext as GraphqlContext, authDirective } from "../../../src/adapters/graphql/index.js";
import { type SessionContext, requireSession, sessionErrorFormatter } from "../../../src/adapters/trpc/index.js";
import { type Session, claim } from "../../../src/index.js";

/** SuperTokens' role claim key; a user id ending in "-admin" holds the admin role. */
export const sdkRoles = claim<string[]>("st-role", { fetch: (userId) => (userId.endsWith("-admin") ? ["admin"] : []) });
const isAdmin = sdkRoles.includes("admin");

const t = initTRPC.context<SessionContext>().create({ errorFormatter: sessionErrorFormatter });
const protectedProcedure = t.procedure.use(requireSession());
const payload = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

function whoami(session: Session) {
  return { userId: session.getUserId(), handle: session.getHandle(), payload: session.getJWTPayload() };
}

export const sdkRouter = t.router({
  hello: t.procedure.query(({ ctx }) => ({ signedIn: ctx.session !== undefined })),
  signIn: t.procedure.input(z.object({ userId: z.string(), payload: payload.optional() })).mutation(async ({ ctx, input }) => {
    const session = await ctx.createNewSession({ userId: input.userId, jwtPayload: input.payload ?? {} });
    return whoami(session);
  }),
  whoami: protectedProcedure.query(({ ctx }) => whoami(ctx.session)),
  /** Merges into the custom payload: a new access token (and front-token) on this response. */
  setPayload: protectedProcedure.input(payload).mutation(async ({ ctx, input }) => {
    await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), ...input });
    return whoami(ctx.session);
  }),
  /** A valid session with the wrong role: 403, which must not start a refresh. */
  adminOnly: protectedProcedure.query(({ ctx }) => {
    if (ctx.session.getJWTPayload().role !== "admin") throw new TRPCError({ code: "FORBIDDEN", message: "admins only" });
    return "secret";
  }),
  /** Behind a claim: 403 FORBIDDEN / INVALID_CLAIM for non-admins, which must not start a refresh or sign out. */
  adminByClaim: protectedProcedure
    .use(requireSession({ claims: [isAdmin] }))
    .query(({ ctx }) => `claim secret for ${ctx.session.getUserId()}`),
  signOut: protectedProcedure.mutation(async ({ ctx }) => {
    await ctx.session.revokeSession();
    return true;
  }),
});

export type SdkRouter = typeof sdkRouter;

const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective({ policies: { admin: [isAdmin] } });
type Authed = AuthedContext<GraphqlContext>;
const me = (session: Session) => ({ ...whoami(session), payload: JSON.stringify(session.getJWTPayload()) });

export const sdkSchema = authDirectiveTransformer(
  createSchema<GraphqlContext>({
    typeDefs: [
      authDirectiveTypeDefs,
      /* GraphQL */ `
        type Me { userId: String!  handle: String!  payload: String! }
        type Query { hello: String!  me: Me! @auth  adminSecret: String! @auth(requires: ["admin"]) }
        type Mutation {
          signIn(userId: String!, role: String): Me!
          setPayload(key: String!, value: String!): Me! @auth
          signOut: Boolean! @auth
        }
      `,
    ],
    resolvers: {
      Query: {
        hello: (_: unknown, __: unknown, ctx: GraphqlContext) => (ctx.session ? "hello again" : "hello"),
        me: (_: unknown, __: unknown, ctx: Authed) => me(ctx.session),
        adminSecret: (_: unknown, __: unknown, ctx: Authed) => `claim secret for ${ctx.session.getUserId()}`,
      },
      Mutation: {
        async signIn(_: unknown, args: { userId: string; role?: string }, ctx: GraphqlContext) {
          return me(await ctx.createNewSession({ userId: args.userId, jwtPayload: args.role ? { role: args.role } : {} }));
        },
        async setPayload(_: unknown, args: { key: string; value: string }, ctx: Authed) {
          await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), [args.key]: args.value });
          return me(ctx.session);
        },
        async signOut(_: unknown, __: unknown, ctx: Authed) {
          await ctx.session.revokeSession();
          return true;
        },
      },
    },
  }),
);
