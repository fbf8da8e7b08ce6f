// A Yoga server for the GraphQL tests: a schema that uses @auth on fields, types, interface
// fields and union members, served over node:http or through yoga.fetch, and a client with a
// cookie jar that behaves like the SuperTokens SDK (rid header, anti-csrf echoed).

import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type YogaServerOptions, createPubSub, createSchema, createYoga } from "graphql-yoga";
import { type CreateSessionsOptions, type Sessions, createSessions } from "../../src/index.js";
import { type AuthedContext, type SessionContext, authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import type { UseSessionsOptions } from "../../src/adapters/graphql/plugin.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type CallOptions, TestClient } from "../helpers/app.js";
import type { TestDb } from "../helpers/db.js";

export type Transport = "http" | "fetch";
export const transports: Transport[] = ["http", "fetch"];

const typeDefs = /* GraphQL */ `
  interface Node { id: ID! }
  interface Account { name: String!  email: String @auth }
  type Secret implements Node @auth { id: ID!  value: String! }
  type Article implements Node { id: ID!  title: String! }
  type Member implements Account { name: String!  email: String }
  union SearchResult = Secret | Article
  type Query {
    hello: String!
    me: String! @auth
    payload: String! @auth
    data: String @auth
    secret: Secret
    nodes: [Node!]!
    search: [SearchResult!]!
    account: Account!
    ask(n: Int!): Int!
  }
  type Mutation {
    signIn(userId: String!, payload: String): String!
    signInAndWhoAmI(userId: String!): String!
    setPayload(json: String!): String! @auth
    setData(json: String!): Boolean! @auth
    signOut: Boolean! @auth
    bump: Int!
  }
  type Subscription { ticks: Int! @auth  renamingTicks: String! @auth }
`;

export interface Harness {
  sessions: Sessions;
  /** Publishes one tick to every open `ticks` subscription. */
  tick(n: number): void;
  /** Counts public `bump` mutations (side effects that must not run twice). */
  bumps: { count: number };
  client(now?: () => number): GraphqlClient;
  /** Sends one request through the chosen transport. */
  send(request: Request): Promise<Response>;
  origin: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  transport: Transport;
  sessions?: Partial<CreateSessionsOptions>;
  plugin?: UseSessionsOptions;
  yoga?: Partial<YogaServerOptions<Record<string, unknown>, SessionContext>>;
}

export async function startHarness(db: TestDb, options: HarnessOptions): Promise<Harness> {
  const sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false }, ...options.sessions });
  const pubsub = createPubSub<{ tick: [number] }>();
  const bumps = { count: 0 };
  const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();
  const schema = authDirectiveTransformer(
    createSchema<SessionContext>({
      typeDefs: [authDirectiveTypeDefs, typeDefs],
      resolvers: {
        Node: { __resolveType: (n: { kind: string }) => n.kind },
        SearchResult: { __resolveType: (n: { kind: string }) => n.kind },
        Account: { __resolveType: () => "Member" },
        Query: {
          hello: () => "world",
          me: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getUserId(),
          payload: (_: unknown, __: unknown, ctx: AuthedContext) => JSON.stringify(ctx.session.getJWTPayload()),
          data: async (_: unknown, __: unknown, ctx: AuthedContext) => JSON.stringify(await ctx.session.getSessionData()),
          secret: () => ({ kind: "Secret", id: "s1", value: "the secret" }),
          nodes: () => [
            { kind: "Article", id: "a1", title: "public" },
            { kind: "Secret", id: "s1", value: "the secret" },
          ],
          search: () => [
            { kind: "Article", id: "a1", title: "public" },
            { kind: "Secret", id: "s1", value: "the secret" },
          ],
          account: () => ({ name: "Ada", email: "ada@example.com" }),
          ask: (_: unknown, { n }: { n: number }) => n,
        },
        Mutation: {
          async signIn(_: unknown, args: { userId: string; payload?: string }, ctx: SessionContext) {
            const s = await ctx.createNewSession({ userId: args.userId, jwtPayload: args.payload ? JSON.parse(args.payload) : {} });
            return s.getHandle();
          },
          async signInAndWhoAmI(_: unknown, args: { userId: string }, ctx: SessionContext) {
            await ctx.createNewSession({ userId: args.userId });
            return ctx.session?.getUserId() ?? "nobody";
          },
          async setPayload(_: unknown, { json }: { json: string }, ctx: AuthedContext) {
            await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), ...JSON.parse(json) });
            return JSON.stringify(ctx.session.getJWTPayload());
          },
          async setData(_: unknown, { json }: { json: string }, ctx: AuthedContext) {
            await ctx.session.updateSessionData(JSON.parse(json));
            return true;
          },
          async signOut(_: unknown, __: unknown, ctx: AuthedContext) {
            await ctx.session.revokeSession();
            return true;
          },
          bump: () => ++bumps.count,
        },
        Subscription: {
          ticks: {
            subscribe: () => pubsub.subscribe("tick"),
            resolve: (n: number) => n,
          },
          // Tries to set a cookie after the response has started: must fail loudly.
          renamingTicks: {
            subscribe: () => pubsub.subscribe("tick"),
            async resolve(n: number, _: unknown, ctx: AuthedContext) {
              await ctx.session.updateJWTPayload({ n });
              return String(n);
            },
          },
        },
      },
    }),
  );
  const yoga = createYoga<Record<string, unknown>, SessionContext>({
    schema,
    logging: false,
    plugins: [useSessions(sessions, options.plugin)],
    ...options.yoga,
  });

  let server: Server | undefined;
  let origin = "http://localhost:4000";
  // yoga.fetch answers with the @whatwg-node ponyfill Response on Node; hand the client a
  // native one (Set-Cookie lines copied one by one, as a fetch runtime would send them).
  let send = async (request: Request): Promise<Response> => {
    const reply = await yoga.fetch(request);
    const headers = new Headers();
    reply.headers.forEach((value, name) => {
      if (name !== "set-cookie") headers.append(name, value);
    });
    for (const line of reply.headers.getSetCookie()) headers.append("set-cookie", line);
    return new Response(reply.body, { status: reply.status, statusText: reply.statusText, headers });
  };
  if (options.transport === "http") {
    server = createServer(yoga);
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    send = (request) => fetch(request);
  }
  return {
    sessions,
    tick: (n) => pubsub.publish("tick", n),
    bumps,
    client: (now) => new GraphqlClient(send, now, origin),
    send,
    origin,
    async close() {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await sessions.close();
    },
  };
}

export interface GraphqlReply<T = Record<string, unknown>> {
  status: number;
  body: { data?: T | null; errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] };
  response: Response;
}

/** A TestClient that speaks GraphQL over POST (or GET for queries). */
export class GraphqlClient extends TestClient {
  async gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options: CallOptions & { get?: boolean } = {},
  ): Promise<GraphqlReply<T>> {
    const response = options.get
      ? await this.call(`/graphql?${new URLSearchParams({ query, ...(variables ? { variables: JSON.stringify(variables) } : {}) })}`, {
          ...options,
          method: "GET",
        })
      : await this.call("/graphql", { ...options, body: { query, variables } });
    return { status: response.status, body: await response.json(), response };
  }
}

/** The extensions of the first error at `path` (joined with dots). */
export function errorAt(reply: GraphqlReply, path: string) {
  return reply.body.errors?.find((e) => (e.path ?? []).join(".") === path);
}
