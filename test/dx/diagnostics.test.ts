// Errors that say why: the default onWarning line (one prefix, the cause, a hint), the debug log
// of every refusal with its exact reason (core routes, tRPC, GraphQL) with the wire unchanged,
// and the one-time warning when tRPC's errorFormatter leaves the session code out.

import { initTRPC } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { drizzle } from "drizzle-orm/postgres-js";
import { type Plugin, createSchema, createYoga } from "graphql-yoga";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type AuthedContext, type SessionContext, authDirective, useSessions } from "../../src/adapters/graphql/index.js";
import { createSessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";
import { type CreateSessionsOptions, type Sessions, createSessions, isSessionError } from "../../src/index.js";
import { type AnyPgDatabase, drizzleStore } from "../../src/storage/index.js";
import { createTestApp, TestClient } from "../helpers/app.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
let bare: TestDb;
const open: Sessions[] = [];
beforeAll(async () => {
  [db, bare] = await Promise.all([createTestDb(), createTestDb()]);
  // A database where migrate(db) was never run.
  await bare.exec("DROP TABLE sessionkit_keys, sessionkit_sessions, sessionkit_revocations, sessionkit_migrations");
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await Promise.all([db.close(), bare.close()]);
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.DEBUG;
});

function sessionsOn(database: AnyPgDatabase, options: Partial<CreateSessionsOptions> = {}): Sessions {
  const sessions = createSessions({ store: drizzleStore(database), cookies: { secure: false }, ...options });
  open.push(sessions);
  return sessions;
}

/** What console.warn printed, line by line, during `work`. */
async function consoleWarnings(work: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  });
  await work();
  return lines;
}

describe("the default onWarning", () => {
  it("migrations not run: one prefix, the cause, and the hint to run migrate(db)", async () => {
    const sessions = sessionsOn(bare.db);
    const lines = await consoleWarnings(async () => {
      const response = await sessions.handle(new Request("http://x/auth/jwt/jwks.json"));
      expect(response?.status).toBe(500);
      expect(await response?.json()).toEqual({ message: "session store unavailable" });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^sessionkit: the session store failed: relation "sessionkit_keys" does not exist \(.*run `await migrate\(db\)`/,
    );
    expect(lines[0]).not.toContain("sessionkit: sessionkit:");
  });

  it("database unreachable: the driver's message and the hint to check DATABASE_URL", async () => {
    const sql = postgres("postgres://nobody@127.0.0.1:1/none", { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      const sessions = sessionsOn(drizzle(sql) as unknown as AnyPgDatabase);
      const lines = await consoleWarnings(() => sessions.handle(new Request("http://x/auth/jwt/jwks.json")));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^sessionkit: the session store failed: .*ECONNREFUSED.* \(.*check DATABASE_URL/);
    } finally {
      await sql.end({ timeout: 0 });
    }
  });
});

describe("debug: every refusal with its exact reason, the wire unchanged", () => {
  it("core routes and getSession (debug: true logs to the console)", async () => {
    const sessions = sessionsOn(db.db, { debug: true });
    const client = new TestClient(createTestApp(sessions));
    await client.call("/login", { body: { userId: "dbg" } });
    const lines = await consoleWarnings(async () => {
      const protectedCall = await client.call("/data", { body: { a: 1 }, rid: false });
      expect(protectedCall.status).toBe(401);
      const refresh = await client.refresh({ rid: false });
      expect(refresh.status).toBe(401);
      expect(await refresh.json()).toEqual({ message: "unauthorised" });
    });
    expect(lines).toEqual([
      expect.stringMatching(
        /^sessionkit: refused: TRY_REFRESH_TOKEN \(401\): anti-CSRF check failed: the rid header is missing \(send a `rid` header/,
      ),
      expect.stringMatching(
        /^sessionkit: refused at POST \/auth\/session\/refresh: UNAUTHORISED \(401, cookies cleared\): anti-CSRF check failed: the rid header is missing/,
      ),
    ]);
  });

  it("off by default, on with DEBUG=sessionkit", async () => {
    const quiet = sessionsOn(db.db);
    expect(await consoleWarnings(() => new TestClient(createTestApp(quiet)).refresh())).toEqual([]);
    process.env.DEBUG = "express:*,sessionkit";
    const loud = sessionsOn(db.db);
    const lines = await consoleWarnings(() => new TestClient(createTestApp(loud)).refresh());
    expect(lines).toEqual([
      expect.stringContaining(
        "refused at POST /auth/session/refresh: UNAUTHORISED (401, cookies cleared): no refresh token in the request",
      ),
    ]);
  });

  it("tRPC: logged once, and the reason is the server-side cause of the TRPCError", async () => {
    const lines: string[] = [];
    const sessions = sessionsOn(db.db, { debug: (line) => lines.push(line) });
    const createContext = createSessionContext(sessions);
    const t = initTRPC.context<typeof createContext>().create({ errorFormatter: sessionErrorFormatter });
    const router = t.router({
      signIn: t.procedure.mutation(async ({ ctx }) => (await ctx.createNewSession({ userId: "trpc-dbg" })).getHandle()),
      rename: t.procedure.use(requireSession()).mutation(({ ctx }) => ctx.session.getUserId()),
    });
    const causes: string[] = [];
    const handler = (req: Request) =>
      fetchRequestHandler({ endpoint: "/trpc", req, router, createContext, onError: ({ error }) => causes.push(String(error.cause)) });
    // Sign-in from plain fetch without rid, as a developer with curl would.
    const signIn = await handler(
      new Request("http://x/trpc/signIn", { method: "POST", body: "{}", headers: { "content-type": "application/json" } }),
    );
    expect(signIn.status).toBe(401);
    const body = await signIn.json();
    expect(body.error.message).toBe("unauthorised");
    expect(body.error.data.sessionCode).toBe("UNAUTHORISED");
    expect(JSON.stringify(body)).not.toContain("rid");
    expect(causes).toEqual([expect.stringContaining("starting a session needs the rid header")]);
    expect(lines).toEqual([
      expect.stringMatching(/^sessionkit: refused: UNAUTHORISED \(401\): anti-CSRF check failed: starting a session needs the rid header/),
    ]);
  });

  it("GraphQL: logged once, the reason on the GraphQLError's cause, not in the body", async () => {
    const lines: string[] = [];
    const sessions = sessionsOn(db.db, { debug: (line) => lines.push(line) });
    const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();
    const schema = authDirectiveTransformer(
      createSchema<SessionContext>({
        typeDefs: [authDirectiveTypeDefs, "type Query { me: String! @auth hello: String! }"],
        resolvers: { Query: { me: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getUserId(), hello: () => "hi" } },
      }),
    );
    const causes: unknown[] = [];
    const yoga = createYoga({
      schema,
      logging: false,
      plugins: [
        useSessions(sessions),
        {
          onExecute: () => ({
            onExecuteDone: ({ result }: { result: { errors?: readonly unknown[] } }) => void causes.push(...(result.errors ?? [])),
          }),
        } as Plugin,
      ],
    });
    const ask = (query: string) =>
      yoga.fetch("http://x/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
    const pub = await ask("{ hello }");
    expect(pub.status).toBe(200);
    expect(lines).toEqual([]); // an anonymous request for public fields is no refusal
    const refused = await ask("{ me }");
    expect(refused.status).toBe(401);
    expect(JSON.stringify(await refused.json())).not.toContain("no access token");
    // graphql-js wraps the resolver's error (locatedError): the reason is on the chain server-side.
    let reason: unknown = causes.at(-1);
    for (let depth = 0; depth < 4 && reason && !isSessionError(reason); depth++) {
      reason = (reason as { cause?: unknown; originalError?: unknown }).cause ?? (reason as { originalError?: unknown }).originalError;
    }
    expect(isSessionError(reason) && reason.message).toBe("no access token in the request");
    expect(lines).toEqual([
      expect.stringMatching(/^sessionkit: refused: UNAUTHORISED \(401\): no access token in the request \(no sAccessToken cookie arrived/),
    ]);
  });
});

describe("tRPC without sessionErrorFormatter", () => {
  async function serverWith(formatter: boolean) {
    const warnings: string[] = [];
    const sessions = sessionsOn(db.db, { onWarning: (m) => warnings.push(m) });
    const createContext = createSessionContext(sessions);
    const t = initTRPC.context<typeof createContext>().create(formatter ? { errorFormatter: sessionErrorFormatter } : {});
    const router = t.router({ me: t.procedure.use(requireSession()).query(({ ctx }) => ctx.session.getUserId()) });
    const call = async () => {
      const response = await fetchRequestHandler({ endpoint: "/trpc", req: new Request("http://x/trpc/me"), router, createContext });
      expect(response.status).toBe(401);
      return (await response.json()).error.data;
    };
    return { warnings, call };
  }

  it("warns once, at the first session error, when the shape has no sessionCode", async () => {
    const { warnings, call } = await serverWith(false);
    expect((await call()).sessionCode).toBeUndefined();
    await call();
    await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 5000, interval: 50 });
    expect(warnings[0]).toMatch(
      /^sessionkit: a tRPC session error went out without error\.data\.sessionCode: add `errorFormatter: sessionErrorFormatter`/,
    );
    await call();
    expect(warnings).toHaveLength(1);
  });

  it("says nothing with the formatter", async () => {
    const { warnings, call } = await serverWith(true);
    expect((await call()).sessionCode).toBe("UNAUTHORISED");
    await new Promise((resolve) => setTimeout(resolve, 1200)); // past the check
    expect(warnings).toEqual([]);
  });
});
