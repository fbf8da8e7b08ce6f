// A Yoga app with live connections, served for real: HTTP (queries, sign-in, Yoga's own SSE
// subscriptions) and graphql-ws on the same port through `useServer` over Yoga's envelop,
// written exactly as Yoga's docs write that recipe. `adminTicks` is behind @auth(requires: ["admin"])
// (the sessions need `liveRoles` among their claims).

import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createPubSub, createSchema, createYoga } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { type AuthedContext, type SessionContext, authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import type { Sessions } from "../../src/index.js";
import { liveRoles } from "./trpc-app.js";

const typeDefs = /* GraphQL */ `
  type Query { me: String! @auth  whoami: String }
  type Mutation { signIn(userId: String!): String!  touch: String }
  type Subscription { ticks: Int! @auth  publicTicks: Int!  adminTicks: Int! @auth(requires: ["admin"]) }
`;

export interface YogaLive {
  url: string;
  wsUrl: string;
  origin: string;
  sessions: Sessions;
  /** Sends one tick to every open subscription. */
  tick(n: number): void;
  touched: (string | null)[];
  close(): Promise<void>;
}

export async function serveYogaLive(sessions: Sessions): Promise<YogaLive> {
  const pubsub = createPubSub<{ tick: [number] }>();
  const touched: (string | null)[] = [];
  const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective({ policies: { admin: [liveRoles.includes("admin")] } });
  const schema = authDirectiveTransformer(
    createSchema<SessionContext>({
      typeDefs: [authDirectiveTypeDefs, typeDefs],
      resolvers: {
        Query: {
          me: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getUserId(),
          whoami: (_: unknown, __: unknown, ctx: SessionContext) => ctx.session?.getUserId() ?? null,
        },
        Mutation: {
          signIn: async (_: unknown, args: { userId: string }, ctx: SessionContext) =>
            (await ctx.createNewSession({ userId: args.userId })).getHandle(),
          touch: (_: unknown, __: unknown, ctx: SessionContext) => {
            const who = ctx.session?.getUserId() ?? null;
            touched.push(who);
            return who;
          },
        },
        Subscription: {
          ticks: { subscribe: () => pubsub.subscribe("tick"), resolve: (n: number) => n },
          publicTicks: { subscribe: () => pubsub.subscribe("tick"), resolve: (n: number) => n },
          adminTicks: { subscribe: () => pubsub.subscribe("tick"), resolve: (n: number) => n },
        },
      },
    }),
  );
  const yoga = createYoga({ schema, plugins: [useSessions(sessions)], logging: false });
  const server: Server = createServer(yoga);
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });

  type EnvelopedRoot = { rootValue: ReturnType<typeof yoga.getEnveloped> };
  const disposable = useServer(
    {
      execute: (args) => (args as ExecutionArgs & EnvelopedRoot).rootValue.execute(args),
      subscribe: (args) => (args as ExecutionArgs & EnvelopedRoot).rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const args = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wsServer,
  );

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    origin: `http://127.0.0.1:${port}`,
    sessions,
    tick: (n) => pubsub.publish("tick", n),
    touched,
    async close() {
      await disposable.dispose();
      for (const client of wsServer.clients) client.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
