// Device metadata and remember me through the real adapters, on real servers: tRPC's standalone
// adapter (a Node IncomingMessage, so the socket address), tRPC's fetch adapter (a fetch Request:
// no socket, the IP is unknown with trustProxy false, unless the handler passes the runtime's
// connection, here the IncomingMessage, as createContext's second argument) and GraphQL Yoga on
// node:http (the plugin notes the socket address). Sign-in through a mutation with a custom User-Agent and a spoofed
// X-Forwarded-For; listSessions shows what each adapter captured; remember: false gives cookies
// without Expires/Max-Age on sign-in, the refresh route and updateJWTPayload.

import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { initTRPC } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { createSchema, createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type AuthedContext, type SessionContext as GraphqlContext, authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import { createSessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";
import { type CreateSessionsOptions, type Sessions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient } from "../helpers/app.js";
import { DATABASE_URL, type DbKind, type TestDb, createTestDb } from "../helpers/db.js";

const kinds: DbKind[] = DATABASE_URL ? ["postgres", "pglite"] : ["pglite"];
type Adapter = "trpc-standalone" | "trpc-fetch" | "trpc-fetch-connection" | "graphql";
const adapters: Adapter[] = ["trpc-standalone", "trpc-fetch", "graphql"];
/** The device test also serves the fetch adapter given the connection (remember me is the same there). */
const deviceAdapters: Adapter[] = [...adapters, "trpc-fetch-connection"];

/** The auth cookies a response sets with a value (not the clearing ones). */
const authCookies = (res: Response) => res.headers.getSetCookie().filter((l) => /^(sAccessToken|sRefreshToken)=[^;]/.test(l));
const names = (lines: string[]) => lines.map((l) => l.slice(0, l.indexOf("="))).sort();
const persistent = (line: string) => /;\s*(Expires|Max-Age)=/i.test(line);

function trpcRouter(sessions: Sessions) {
  const createContext = createSessionContext(sessions);
  const t = initTRPC.context<typeof createContext>().create({ errorFormatter: sessionErrorFormatter });
  const authed = t.procedure.use(requireSession());
  const router = t.router({
    signIn: t.procedure
      .input(z.object({ userId: z.string(), remember: z.boolean().optional() }))
      .mutation(async ({ ctx, input }) => (await ctx.createNewSession(input)).getHandle()),
    setTheme: authed.input(z.object({ theme: z.string() })).mutation(async ({ ctx, input }) => {
      await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), theme: input.theme });
      return true;
    }),
    mySessions: authed.query(async ({ ctx }) => (await ctx.session.listSessions()).map((s) => ({ handle: s.handle, current: s.current }))),
  });
  return { router, createContext };
}

const typeDefs = /* GraphQL */ `
  type Device { handle: String!  current: Boolean! }
  type Query { mySessions: [Device!]! @auth }
  type Mutation {
    signIn(userId: String!, remember: Boolean): String!
    setTheme(theme: String!): Boolean! @auth
  }
`;

function yogaServer(sessions: Sessions) {
  const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();
  const schema = authDirectiveTransformer(
    createSchema<GraphqlContext>({
      typeDefs: [authDirectiveTypeDefs, typeDefs],
      resolvers: {
        Query: {
          mySessions: async (_: unknown, __: unknown, ctx: AuthedContext) =>
            (await ctx.session.listSessions()).map((s) => ({ handle: s.handle, current: s.current })),
        },
        Mutation: {
          signIn: async (_: unknown, args: { userId: string; remember?: boolean | null }, ctx: GraphqlContext) =>
            (await ctx.createNewSession({ userId: args.userId, remember: args.remember ?? undefined })).getHandle(),
          async setTheme(_: unknown, { theme }: { theme: string }, ctx: AuthedContext) {
            await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), theme });
            return true;
          },
        },
      },
    }),
  );
  const yoga = createYoga<Record<string, unknown>, GraphqlContext>({ schema, logging: false, plugins: [useSessions(sessions)] });
  return createServer(yoga);
}

/**
 * tRPC's fetch adapter behind node:http: the handler sees a fetch Request (no socket); with
 * `connection`, createContext gets the IncomingMessage as its second argument, as a Bun or Deno
 * handler passes its server or info.
 */
function fetchAdapterServer(sessions: Sessions, connection = false) {
  const { router, createContext } = trpcRouter(sessions);
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const request = incomingMessageToRequest(req, res, { maxBodySize: 1024 * 1024 });
    const response =
      (await sessions.handle(request)) ??
      (await fetchRequestHandler({
        endpoint: "/trpc",
        req: request,
        router,
        createContext: (opts) => (connection ? createContext(opts, req) : createContext(opts)),
      }));
    res.statusCode = response.status;
    response.headers.forEach((value, name) => {
      if (name !== "set-cookie") res.setHeader(name, value);
    });
    res.setHeader("set-cookie", response.headers.getSetCookie());
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

/** tRPC's standalone (node:http) adapter, with sessionkit's routes as Node middleware in front. */
function standaloneServer(sessions: Sessions) {
  const { router, createContext } = trpcRouter(sessions);
  const trpc = createHTTPHandler({ router, createContext, basePath: "/trpc/" });
  const routes = sessions.middleware();
  return createServer((req, res) => {
    void routes(req, res, () => trpc(req, res));
  });
}

interface Served {
  adapter: Adapter;
  url: string;
  close(): Promise<void>;
}

async function serve(adapter: Adapter, sessions: Sessions): Promise<Served> {
  const server =
    adapter === "graphql"
      ? yogaServer(sessions)
      : adapter.startsWith("trpc-fetch")
        ? fetchAdapterServer(sessions, adapter === "trpc-fetch-connection")
        : standaloneServer(sessions);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    adapter,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An SDK-like client (rid, anti-csrf echoed, cookie jar) of one server, with headers on every request. */
class AdapterClient extends TestClient {
  constructor(
    readonly served: Served,
    headers: Record<string, string> = {},
  ) {
    super(
      (request) => {
        for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
        return fetch(request);
      },
      Date.now,
      served.url,
    );
  }

  private async ok(response: Response, pick: (body: Record<string, unknown>) => unknown): Promise<{ response: Response; data: unknown }> {
    const body = (await response.clone().json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.errors, JSON.stringify(body)).toBeUndefined();
    return { response, data: pick(body) };
  }

  private trpc(path: string, input?: unknown) {
    const response =
      input === undefined ? this.call(`/trpc/${path}`) : this.call(`/trpc/${path}`, { body: input as Record<string, unknown> });
    return response.then((r) => this.ok(r, (b) => (b.result as { data: unknown }).data));
  }

  private gql(query: string, variables: Record<string, unknown> = {}) {
    return this.call("/graphql", { body: { query, variables } }).then((r) => this.ok(r, (b) => b.data));
  }

  async signIn(userId: string, remember?: boolean): Promise<{ response: Response; handle: string }> {
    const { response, data } =
      this.served.adapter === "graphql"
        ? await this.gql("mutation ($u: String!, $r: Boolean) { signIn(userId: $u, remember: $r) }", { u: userId, r: remember })
        : await this.trpc("signIn", { userId, remember });
    const handle = this.served.adapter === "graphql" ? (data as { signIn: string }).signIn : (data as string);
    return { response, handle };
  }

  async setTheme(theme: string): Promise<Response> {
    const { response } =
      this.served.adapter === "graphql"
        ? await this.gql("mutation ($t: String!) { setTheme(theme: $t) }", { t: theme })
        : await this.trpc("setTheme", { theme });
    return response;
  }

  async mySessions(): Promise<{ handle: string; current: boolean }[]> {
    const { data } =
      this.served.adapter === "graphql" ? await this.gql("{ mySessions { handle current } }") : await this.trpc("mySessions");
    return this.served.adapter === "graphql"
      ? (data as { mySessions: { handle: string; current: boolean }[] }).mySessions
      : (data as never);
  }
}

describe.each(kinds)("devices through the adapters on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());

  const uid = () => `ad-${Math.random().toString(36).slice(2, 10)}`;

  async function setup(options: Partial<CreateSessionsOptions> = {}, served = adapters) {
    const sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false }, ...options });
    const servers = await Promise.all(served.map((adapter) => serve(adapter, sessions)));
    return {
      sessions,
      servers,
      async close() {
        await Promise.all(servers.map((s) => s.close()));
        await sessions.close();
      },
    };
  }

  const SPOOFED = "6.6.6.6, 203.0.113.7";
  // What each adapter's request tells: with false the socket (a fetch Request has none), never the header.
  const expectedIp: Record<"false" | "1", Record<Adapter, string | undefined>> = {
    false: { "trpc-standalone": "127.0.0.1", "trpc-fetch": undefined, "trpc-fetch-connection": "127.0.0.1", graphql: "127.0.0.1" },
    1: { "trpc-standalone": "203.0.113.7", "trpc-fetch": "203.0.113.7", "trpc-fetch-connection": "203.0.113.7", graphql: "203.0.113.7" },
  };

  it.each([false, 1] as const)(
    "trustProxy %s: the user agent and IP each adapter captured; session.listSessions marks current",
    async (trustProxy) => {
      const app = await setup({ trustProxy }, deviceAdapters);
      try {
        const user = uid();
        const signedIn: { client: AdapterClient; handle: string }[] = [];
        for (const served of app.servers) {
          const client = new AdapterClient(served, { "user-agent": `Device-${served.adapter}/1.0`, "x-forwarded-for": SPOOFED });
          signedIn.push({ client, handle: (await client.signIn(user)).handle });
        }
        db.queries.reset();
        const listed = await app.sessions.listSessions(user);
        expect(db.queries.count).toBe(1);
        const byHandle = new Map(listed.map((s) => [s.handle, { userAgent: s.userAgent, ip: s.ip }]));
        for (const { client, handle } of signedIn) {
          const adapter = client.served.adapter;
          expect(byHandle.get(handle), adapter).toEqual({
            userAgent: `Device-${adapter}/1.0`,
            ip: expectedIp[String(trustProxy) as "false" | "1"][adapter],
          });
        }
        // Each client, through its own adapter, sees every session and only its own as current.
        for (const { client, handle } of signedIn) {
          const mine = await client.mySessions();
          expect(mine.map((s) => s.handle).sort(), client.served.adapter).toEqual(signedIn.map((s) => s.handle).sort());
          expect(
            mine.filter((s) => s.current).map((s) => s.handle),
            client.served.adapter,
          ).toEqual([handle]);
        }
      } finally {
        await app.close();
      }
    },
  );

  it.each(adapters)("remember me through %s: sign-in, the refresh route and updateJWTPayload", async (adapter) => {
    const app = await setup();
    const served = app.servers.find((s) => s.adapter === adapter) as Served;
    try {
      for (const remember of [false, undefined]) {
        const client = new AdapterClient(served);
        const responses: Record<string, Response> = {};
        responses.signIn = (await client.signIn(uid(), remember)).response;
        responses.updateJWTPayload = await client.setTheme("dark");
        responses.refresh = await client.refresh();
        expect(responses.refresh.status).toBe(200);
        responses.updateAfterRefresh = await client.setTheme("light");
        expect(client.front()?.up).toMatchObject({ theme: "light" });
        if (remember === false) expect(client.front()?.up.skRemember).toBe(false);
        else expect(client.front()?.up).not.toHaveProperty("skRemember");
        for (const [what, response] of Object.entries(responses)) {
          const lines = authCookies(response);
          const expected = what === "signIn" || what === "refresh" ? ["sAccessToken", "sRefreshToken"] : ["sAccessToken"];
          expect(names(lines), `${what}, remember ${remember}`).toEqual(expected);
          for (const line of lines) expect(persistent(line), `${what}, remember ${remember}: ${line}`).toBe(remember !== false);
        }
      }
    } finally {
      await app.close();
    }
  });
});
