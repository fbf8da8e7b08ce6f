// sessionkit behind GraphQL Yoga: `useSessions` and `@auth`. `hello` is public, `me` is @auth.

import { createSchema, createYoga } from "graphql-yoga";
import { type AuthedContext, type SessionContext, authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { BENCH_SECRET, openDb, serve } from "./common.js";

const bench = await openDb();
const sessions = createSessions({
  store: drizzleStore(bench.db),
  secret: BENCH_SECRET,
  cookies: { secure: false },
  onWarning: (m) => console.error(`[yoga] ${m}`),
});

const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();
const schema = authDirectiveTransformer(
  createSchema<SessionContext>({
    typeDefs: [
      authDirectiveTypeDefs,
      /* GraphQL */ `
        type Query { hello: String!  me: String! @auth }
        type Mutation { signIn(userId: String!): Boolean! }
      `,
    ],
    resolvers: {
      Query: {
        hello: () => "world",
        me: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getUserId(),
      },
      Mutation: {
        signIn: async (_: unknown, { userId }: { userId: string }, ctx: SessionContext) => {
          await ctx.createNewSession({ userId });
          return true;
        },
      },
    },
  }),
);

const yoga = createYoga({ schema, plugins: [useSessions(sessions)], graphiql: false, logging: false, landingPage: false });

serve(yoga, async () => {
  await sessions.close();
  await bench.close();
});
