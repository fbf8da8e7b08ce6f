// The smallest GraphQL server with sessionkit: the code of docs/graphql.md, kept identical to
// it (with package imports) by test/graphql/docs.test.ts, which also runs it.

import { createServer } from "node:http";
import { GraphQLError } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import { type AuthedContext, type SessionContext, authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import type { Sessions } from "../../src/index.js";

const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective(); // @auth

const typeDefs = /* GraphQL */ `
  type Query {
    hello: String!
    me: String! @auth
  }
  type Mutation {
    signIn(name: String!, password: String!): Boolean!
    rename(displayName: String!): String! @auth
    signOut: Boolean! @auth
  }
`;

export const schema = authDirectiveTransformer(
  createSchema<SessionContext>({
    typeDefs: [authDirectiveTypeDefs, typeDefs],
    resolvers: {
      Query: {
        hello: (_: unknown, __: unknown, ctx: SessionContext) => (ctx.session ? "hello again" : "hello"),
        me: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getUserId(),
      },
      Mutation: {
        async signIn(_: unknown, args: { name: string; password: string }, ctx: SessionContext) {
          const userId = await checkPassword(args.name, args.password); // your own check
          await ctx.createNewSession({ userId, jwtPayload: { displayName: args.name } });
          return true; // cookies and front-token leave with this response
        },
        async rename(_: unknown, args: { displayName: string }, ctx: AuthedContext) {
          await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), displayName: args.displayName });
          return args.displayName; // a new access token leaves with this response
        },
        async signOut(_: unknown, __: unknown, ctx: AuthedContext) {
          await ctx.session.revokeSession(); // cookies cleared on this response
          return true;
        },
      },
    },
  }),
);

export function createGraphqlServer(sessions: Sessions) {
  const yoga = createYoga({ schema, plugins: [useSessions(sessions)] });
  return createServer(yoga); // also answers /auth/session/refresh, /auth/signout, /auth/jwt/jwks.json
}

// Stands in for your user store (examples/shared/users.ts checks scrypt hashes).
async function checkPassword(name: string, password: string): Promise<string> {
  // A wrong password is the client's mistake, not a session problem: never a 401.
  if (password !== `${name}-password`) throw new GraphQLError("Wrong name or password.", { extensions: { code: "BAD_USER_INPUT" } });
  return name;
}
