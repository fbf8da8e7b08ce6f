// A GraphQL Yoga app written the way docs/graphql.md shows, against the packed package. It has
// no @trpc package installed. Prints {"url": ...} once it listens; SIGTERM closes it.

import { createServer } from "node:http";
import { GraphQLError } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import { createSessions } from "sessionkit";
import { drizzleStore, migrate } from "sessionkit/drizzle";
import { type AuthedContext, type SessionContext, authDirective, useSessions } from "sessionkit/graphql";
import { openDatabase } from "./db.js";

const database = await openDatabase();
await migrate(database.db);
const sessions = createSessions({ store: drizzleStore(database.db), revocation: "notify", cookies: { secure: false } });

const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();
const schema = authDirectiveTransformer(
  createSchema<SessionContext>({
    typeDefs: [
      authDirectiveTypeDefs,
      /* GraphQL */ `
        type Query { hello: String!  me: String! @auth  name: String @auth }
        type Mutation { signIn(name: String!, password: String!): Boolean!  signOut: Boolean! @auth }
      `,
    ],
    resolvers: {
      Query: {
        hello: (_: unknown, __: unknown, ctx: SessionContext) => (ctx.session ? "hello again" : "hello"),
        me: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getUserId(),
        name: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getJWTPayload().name,
      },
      Mutation: {
        async signIn(_: unknown, args: { name: string; password: string }, ctx: SessionContext) {
          if (args.password !== `${args.name}-password`) {
            throw new GraphQLError("Wrong name or password.", { extensions: { code: "BAD_USER_INPUT" } });
          }
          await ctx.createNewSession({ userId: `user-${args.name}`, jwtPayload: { name: args.name } });
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

const yoga = createYoga({ schema, plugins: [useSessions(sessions)] });
const server = createServer(yoga);

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
