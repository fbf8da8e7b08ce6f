// Hostile-input properties through the adapters: a tRPC v11 fetch handler (createSessionContext,
// requireSession, sessionResponseMeta) and a GraphQL Yoga server (useSessions, @auth). Same
// recipes as properties.ts; the oracle reads each framework's error shape. Free of vitest.

import { initTRPC } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import fc from "fast-check";
import { createSchema, createYoga } from "graphql-yoga";
import { authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import type { SessionContext as GraphqlContext } from "../../src/adapters/graphql/index.js";
import {
  type SessionContext,
  createSessionContext,
  requireSession,
  sessionErrorFormatter,
  sessionResponseMeta,
} from "../../src/adapters/trpc/index.js";
import type { Sessions } from "../../src/index.js";
import { type RequestRecipe, renderHeaders, requestRecipe } from "./arbitraries.js";
import { bearerCandidates, cookieCandidates, cookieProblems, DEFAULT_POLICY, jsonBody, sameJwt } from "./oracle.js";
import type { HostileProperty } from "./properties.js";
import { type Genuine, ORIGIN, type Target } from "./target.js";

const SESSION_CODES = ["UNAUTHORISED", "TRY_REFRESH_TOKEN"];

/** A tRPC app on the fetch adapter: public `hello`, protected `me` (query) and `touch` (mutation). */
export function trpcApp(sessions: Sessions): (request: Request) => Promise<Response> {
  const t = initTRPC.context<SessionContext>().create({ errorFormatter: sessionErrorFormatter });
  const protectedProcedure = t.procedure.use(requireSession());
  const router = t.router({
    hello: t.procedure.query(() => "world"),
    me: protectedProcedure.query(({ ctx }) => ctx.session.getUserId()),
    touch: protectedProcedure.mutation(async ({ ctx }) => {
      await ctx.session.updateSessionData({ touched: true });
      return ctx.session.getUserId();
    }),
  });
  const createContext = createSessionContext(sessions);
  return async (req) =>
    (await sessions.handle(req)) ??
    fetchRequestHandler({ endpoint: "/trpc", req, router, createContext, responseMeta: sessionResponseMeta });
}

/** A Yoga app: public `hello`, `me: String! @auth`, mutation `touch: String! @auth`. */
export function yogaApp(sessions: Sessions): (request: Request) => Promise<Response> {
  const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();
  const schema = authDirectiveTransformer(
    createSchema<GraphqlContext>({
      typeDefs: [authDirectiveTypeDefs, "type Query { hello: String!  me: String! @auth }  type Mutation { touch: String! @auth }"],
      resolvers: {
        Query: { hello: () => "world", me: (_: unknown, __: unknown, ctx: GraphqlContext) => ctx.session?.getUserId() ?? "" },
        Mutation: { touch: (_: unknown, __: unknown, ctx: GraphqlContext) => ctx.session?.getUserId() ?? "" },
      },
    }),
  );
  const yoga = createYoga<Record<string, unknown>, GraphqlContext>({ schema, plugins: [useSessions(sessions)], logging: false });
  return async (req) => yoga.fetch(req);
}

interface Call {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: string;
  /** The call needs a session (vs public). */
  protected: boolean;
}

const TRPC_CALLS: Call[] = [
  { name: "hello", method: "GET", path: "/trpc/hello", protected: false },
  { name: "me", method: "GET", path: "/trpc/me", protected: true },
  { name: "touch", method: "POST", path: "/trpc/touch", body: "{}", protected: true },
  { name: "batch hello,me", method: "GET", path: "/trpc/hello,me?batch=1&input=%7B%7D", protected: true },
];

const GRAPHQL_CALLS: Call[] = [
  { name: "hello", method: "POST", path: "/graphql", body: JSON.stringify({ query: "{ hello }" }), protected: false },
  { name: "me", method: "POST", path: "/graphql", body: JSON.stringify({ query: "{ me }" }), protected: true },
  { name: "me over GET", method: "GET", path: `/graphql?query=${encodeURIComponent("{ me }")}`, protected: true },
  { name: "touch", method: "POST", path: "/graphql", body: JSON.stringify({ query: "mutation { touch }" }), protected: true },
];

class Broken extends Error {}
const expect = (ok: boolean, message: string) => {
  if (!ok) throw new Broken(message);
};

/** The session code and the user id an answer carries, whichever framework wrote it. */
function readAnswer(framework: "trpc" | "graphql", body: Record<string, unknown>): { codes: string[]; userIds: string[] } {
  const codes: string[] = [];
  const userIds: string[] = [];
  const items = framework === "trpc" && Array.isArray(body) ? (body as Record<string, unknown>[]) : [body];
  for (const item of items) {
    if (framework === "trpc") {
      const error = item.error as { data?: { sessionCode?: string } } | undefined;
      if (error?.data?.sessionCode) codes.push(error.data.sessionCode);
      const data = (item.result as { data?: unknown } | undefined)?.data;
      if (typeof data === "string" && data !== "world") userIds.push(data);
    } else {
      for (const e of (item.errors as Array<{ extensions?: { sessionCode?: string } }> | undefined) ?? []) {
        if (e.extensions?.sessionCode) codes.push(e.extensions.sessionCode);
      }
      const data = item.data as Record<string, unknown> | null | undefined;
      for (const key of ["me", "touch"]) if (typeof data?.[key] === "string") userIds.push(data[key] as string);
    }
  }
  return { codes, userIds };
}

async function check(
  framework: "trpc" | "graphql",
  target: Target,
  genuine: Genuine,
  call: Call,
  headers: [string, string][],
  response: Response,
) {
  expect(response.status !== 500, `answered 500: ${await response.clone().text()}`);
  expect([200, 401].includes(response.status), `unexpected status ${response.status}: ${await response.clone().text()}`);
  const problems = cookieProblems(response.headers.getSetCookie(), DEFAULT_POLICY, target.clock.now);
  expect(problems.length === 0, problems.join(" | "));
  const body = await jsonBody(response);
  expect(body !== undefined, "body is not JSON");
  const { codes, userIds } = readAnswer(framework, body as Record<string, unknown>);
  if (response.status === 401) {
    expect(call.protected, "a public call was refused");
    expect(codes.length > 0 && codes.every((c) => SESSION_CODES.includes(c)), `401 without a session code: ${JSON.stringify(body)}`);
    return;
  }
  for (const userId of userIds) {
    expect(userId === genuine.userId, `accepted as ${userId}`);
    const cookie = headers
      .filter(([n]) => n === "cookie")
      .map(([, v]) => v)
      .join("; ");
    expect(
      [...cookieCandidates(cookie, "sAccessToken"), ...bearerCandidates(headers)].some((c) => sameJwt(c, genuine.accessToken)),
      "accepted without the genuine access token (forgery)",
    );
  }
  if (call.protected) expect(userIds.length > 0, `a protected call answered 200 without its data: ${JSON.stringify(body)}`);
}

/** One property per adapter: any hostile headers on public and protected calls. */
export function adapterProperties(target: Target, framework: "trpc" | "graphql"): HostileProperty {
  const app = framework === "trpc" ? trpcApp(target.sessions) : yogaApp(target.sessions);
  const calls = framework === "trpc" ? TRPC_CALLS : GRAPHQL_CALLS;
  let shared: Promise<Genuine> | undefined;
  const property = fc.asyncProperty(fc.record({ call: fc.constantFrom(...calls), recipe: requestRecipe }), async ({ call, recipe }) => {
    const genuine = await (shared ??= target.login());
    // The framework's own content negotiation is not under test: keep the right content-type.
    const headers = renderHeaders(recipe as RequestRecipe, genuine).filter(([n]) => n !== "content-type");
    if (call.method === "POST") headers.push(["content-type", "application/json"]);
    const request = new Request(`${ORIGIN}${call.path}`, { method: call.method, headers, body: call.body });
    const response = await app(request);
    try {
      await check(framework, target, genuine, call, headers, response);
    } catch (error) {
      if (error instanceof Broken) {
        throw new Error(
          `${framework} ${call.name}: ${error.message}\nheaders: ${JSON.stringify(headers).slice(0, 600)}\nrecipe: ${JSON.stringify(recipe).slice(0, 800)}`,
        );
      }
      throw error;
    }
  });
  return { name: `${framework}: public and protected calls`, property: property as fc.IAsyncProperty<[unknown]> };
}
