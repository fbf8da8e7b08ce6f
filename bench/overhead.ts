// What a protected call costs over a public one inside the process, without the network: the
// tRPC fetch adapter and Yoga called with prebuilt Requests, thousands of times, sides taking
// turns. Shows sessionkit's own per-request overhead in µs, steadier than HTTP throughput on a
// busy machine. Not part of `npm run bench`. Usage: npx tsx bench/overhead.ts [--n=20000]

import { parseArgs } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { initTRPC } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { drizzle } from "drizzle-orm/pglite";
import { createSchema, createYoga } from "graphql-yoga";
import { type AuthedContext, type SessionContext as YogaContext, authDirective, useSessions } from "../src/adapters/graphql/index.js";
import { type SessionContext, createSessionContext, requireSession } from "../src/adapters/trpc/index.js";
import { createSessions } from "../src/index.js";
import { type AnyPgDatabase, drizzleStore, migrate } from "../src/storage/index.js";
import { median } from "./lib/load.js";
import { BENCH_SECRET } from "./servers/common.js";

const { values } = parseArgs({ options: { n: { type: "string", default: "20000" }, rounds: { type: "string", default: "6" } } });
const N = Number(values.n);

const pg = new PGlite();
const db = drizzle(pg) as unknown as AnyPgDatabase;
await migrate(db);
const sessions = createSessions({ store: drizzleStore(db), secret: BENCH_SECRET, cookies: { secure: false } });
const headers = new Headers();
await sessions.createNewSession({ userId: "overhead", jwtPayload: { role: "member" } }, headers);
const cookie =
  headers
    .getSetCookie()
    .find((c) => c.startsWith("sAccessToken="))
    ?.split(";")[0] ?? "";

const t = initTRPC.context<SessionContext>().create();
const router = t.router({
  hello: t.procedure.query(() => ({ hello: "world" })),
  me: t.procedure.use(requireSession()).query(({ ctx }) => ({ userId: ctx.session.getUserId() })),
  bare: t.procedure.use(({ next }) => next()).query(() => ({ userId: "overhead" })),
  spread: t.procedure.use(({ ctx, next }) => next({ ctx: { session: ctx.session } })).query(() => ({ userId: "overhead" })),
});
const createContext = createSessionContext(sessions);
const trpc =
  (path: string, extra: Record<string, string> = {}, rid = true) =>
  () =>
    fetchRequestHandler({
      endpoint: "/trpc",
      router,
      req: new Request(`http://localhost/trpc/${path}`, { headers: { ...(rid ? { rid: "anti-csrf" } : {}), ...extra } }),
      createContext: (opts) => createContext(opts),
    });

const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();
const yoga = createYoga({
  schema: authDirectiveTransformer(
    createSchema<YogaContext>({
      typeDefs: [authDirectiveTypeDefs, "type Query { hello: String!  me: String! @auth }"],
      resolvers: { Query: { hello: () => "world", me: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getUserId() } },
    }),
  ),
  plugins: [useSessions(sessions)],
  logging: false,
});
const gql =
  (query: string, extra: Record<string, string> = {}) =>
  () =>
    yoga.fetch(
      new Request("http://localhost/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", rid: "anti-csrf", ...extra },
        body: JSON.stringify({ query }),
      }),
    );

const sides: [string, () => Response | Promise<Response>][] = [
  ["tRPC public (no cookie)", trpc("hello")],
  ["tRPC public, cookie sent", trpc("hello", { cookie })],
  ["tRPC protected", trpc("me", { cookie })],
  ["tRPC protected, no rid header (plain client)", trpc("me", { cookie }, false)],
  ["tRPC pass-through middleware, cookie sent", trpc("bare", { cookie })],
  ["tRPC middleware passing { ctx }, cookie sent", trpc("spread", { cookie })],
  ["Yoga public (no cookie)", gql("{ hello }")],
  ["Yoga public, cookie sent", gql("{ hello }", { cookie })],
  ["Yoga @auth", gql("{ me }", { cookie })],
];
const times = new Map<string, number[]>(sides.map(([name]) => [name, []]));
for (const [, call] of sides) {
  const response = await call();
  if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
  for (let i = 0; i < 2000; i++) await (await call()).text();
}
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, call] of round % 2 ? [...sides].reverse() : sides) {
    // CPU time, not wall time: on a busy machine the wait for a core is not our cost.
    const start = process.cpuUsage();
    for (let i = 0; i < N; i++) await (await call()).text();
    const used = process.cpuUsage(start);
    times.get(name)?.push((used.user + used.system) / N);
  }
}
console.log(`${N} calls per round, ${values.rounds} rounds, median CPU µs per call (in-process, no network)\n`);
for (const [name, list] of times) console.log(`${name.padEnd(44)} ${median(list).toFixed(1).padStart(7)} µs`);
await sessions.close();
await pg.close();
