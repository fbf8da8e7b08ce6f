// The example application as a factory, so tests can build it on their own database: sessionkit's
// routes, the tRPC router (fetch adapter and Node adapter), and the page.

import type { IncomingMessage, ServerResponse } from "node:http";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { TRPCError } from "@trpc/server";
import { type SessionContextInput, createSessionContext, sessionResponseMeta } from "../../src/adapters/trpc/index.js";
import { type CreateSessionsOptions, type SessionRequest, createSessions } from "../../src/index.js";
import { type AnyPgDatabase, drizzleStore, migrate } from "../../src/storage/index.js";
import { readRolesFrom, role } from "./authz.js";
import { browserOf } from "./devices.js";
import { pageResponse } from "./page.js";
import { appRouter } from "./router.js";
import type { AppContext } from "./trpc.js";
import { Users, ensureUsersTable } from "../shared/users.js";

export interface AppOptions {
  /** Any Drizzle Postgres database (PGlite in `npm start`, postgres.js in tests). */
  db: AnyPgDatabase;
  /** Options of `createSessions`, without the store. */
  sessionsOptions?: Omit<CreateSessionsOptions, "store">;
  /** Names whose user record gets the role "admin" (the `role` claim). */
  admins?: Iterable<string>;
  /** Where server errors are logged (default console.error). */
  log?: (message: string, error?: unknown) => void;
}

const TRPC_PATH = "/trpc";

/** "Firefox 128 on Linux" from the request's User-Agent, kept in each session's data. */
function deviceOf(req: SessionRequest): string {
  const headers = req.headers as { get?: (name: string) => string | null } & Record<string, unknown>;
  const raw = typeof headers.get === "function" ? headers.get("user-agent") : headers["user-agent"];
  return browserOf(typeof raw === "string" ? raw : undefined);
}

export async function createApp(options: AppOptions) {
  const { db } = options;
  const log = options.log ?? ((message, error) => console.error(message, error));
  await migrate(db);
  await ensureUsersTable(db);
  const users = new Users(db);
  const admins: ReadonlySet<string> = new Set(options.admins ?? []);
  // Roles live in the user record; ADMINS names existing accounts too.
  await users.makeAdmins(admins);
  readRolesFrom(users);
  const sessions = createSessions({ ...options.sessionsOptions, store: drizzleStore(db), claims: [role] });
  const sessionContext = createSessionContext(sessions);
  const createContext = async (opts: SessionContextInput): Promise<AppContext> => ({
    ...(await sessionContext(opts)),
    users,
    device: deviceOf(opts.req),
    admins,
  });
  const onError = ({ error, path }: { error: TRPCError; path?: string | undefined }) => {
    // Session and input problems are the client's; log only what the server got wrong.
    if (error.code === "INTERNAL_SERVER_ERROR") log(`tRPC ${path ?? "?"} failed: ${error.message}`, error.cause);
  };

  /**
   * The whole app as a fetch handler (fetch adapter). `connection`: the runtime's second handler
   * argument (Bun's server, Deno's info, node:http's IncomingMessage), for the client IP.
   */
  const fetch = async (request: Request, connection?: unknown): Promise<Response> => {
    // Also keeps the client address for this Request: the tRPC context below reads it from there.
    const own = await sessions.handle(request, connection);
    if (own) return own;
    const { pathname } = new URL(request.url);
    if (pathname.startsWith(`${TRPC_PATH}/`)) {
      return fetchRequestHandler({
        endpoint: TRPC_PATH,
        req: request,
        router: appRouter,
        createContext,
        onError,
        // A batch with a session failure answers 401 as a whole: the SuperTokens SDK reads only the status.
        responseMeta: sessionResponseMeta,
      });
    }
    return pageResponse(request);
  };

  /** The whole app as a Node handler (standalone adapter, sessionkit's Node middleware). */
  const trpcNode = createHTTPHandler({
    router: appRouter,
    createContext,
    basePath: `${TRPC_PATH}/`,
    onError,
    responseMeta: sessionResponseMeta,
  });
  const middleware = sessions.middleware();
  const node = (req: IncomingMessage, res: ServerResponse): void => {
    void middleware(req, res, (error) => {
      if (error) {
        log("session route failed", error);
        res.statusCode = 500;
        res.end();
      } else if ((req.url ?? "/").startsWith(`${TRPC_PATH}/`)) {
        trpcNode(req, res);
      } else {
        void pageResponse(new Request(new URL(req.url ?? "/", "http://localhost"), { method: req.method ?? "GET" })).then(
          async (response) => {
            res.statusCode = response.status;
            response.headers.forEach((value, name) => {
              res.setHeader(name, value);
            });
            res.end(Buffer.from(await response.arrayBuffer()));
          },
        );
      }
    });
  };

  return { sessions, router: appRouter, createContext, fetch, node, close: () => sessions.close() };
}

export type App = Awaited<ReturnType<typeof createApp>>;
