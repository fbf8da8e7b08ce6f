// The child side of the bench: opens the database the parent chose, serves HTTP on a free port,
// reports it over IPC, and exits cleanly (so `--cpu-prof` writes its file) when told or orphaned.

import { type IncomingMessage, type RequestListener, type ServerResponse, createServer } from "node:http";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { isSessionError } from "../../src/index.js";
import { type AnyPgDatabase, migrate } from "../../src/storage/index.js";

export type DbKind = "postgres" | "pglite";

/** A database for one bench server: Drizzle for the libraries, `query` for bare statements on the same driver. */
export interface BenchDb {
  kind: DbKind;
  db: AnyPgDatabase;
  /** One statement through the same driver, prepared (postgres.js) or as PGlite runs it. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Several statements at once (DDL). */
  exec(text: string): Promise<void>;
  /** Postgres: `statements` in turn on every connection of the pool at once (each connection reserved); PGlite: once. */
  onEachConnection(statements: string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The `secret` every bench instance of sessionkit runs with, as a deployment should (without one
 * sessionkit warns that keys are stored in plaintext). Fixed, so instances of one run agree;
 * for benchmarks only.
 */
export const BENCH_SECRET = process.env.BENCH_SECRET ?? "sessionkit-bench-secret-for-benchmarks-only-0001";

export function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`bench server: ${name} is not set`);
  return value;
}

/**
 * Postgres: a pool on the schema the parent created and migrated. PGlite: a fresh in-memory
 * database of this process, migrated here (`setup` adds a peer's tables).
 */
export async function openDb(setup?: (db: BenchDb) => Promise<void>): Promise<BenchDb> {
  const kind = env("BENCH_KIND") as DbKind;
  if (kind === "postgres") {
    const sql = postgres(env("DATABASE_URL"), {
      max: Number(env("BENCH_POOL", "10")),
      onnotice: () => {},
      connection: { search_path: env("BENCH_SCHEMA"), application_name: "sessionkit-bench" },
    });
    return {
      kind,
      db: drizzlePostgres(sql) as unknown as AnyPgDatabase,
      query: async (text, params = []) => (await sql.unsafe(text, params as never[], { prepare: true })) as never,
      exec: async (text) => void (await sql.unsafe(text)),
      onEachConnection: async (statements) => {
        const reserved = await Promise.all(Array.from({ length: Number(env("BENCH_POOL", "10")) }, () => sql.reserve()));
        try {
          await Promise.all(
            reserved.map(async (connection) => {
              for (const statement of statements) await connection.unsafe(statement);
            }),
          );
        } finally {
          for (const connection of reserved) connection.release();
        }
      },
      close: () => sql.end({ timeout: 1 }),
    };
  }
  const pg = new PGlite();
  const db = drizzlePglite(pg) as unknown as AnyPgDatabase;
  await migrate(db);
  const bench: BenchDb = {
    kind,
    db,
    query: async (text, params = []) => (await pg.query(text, params)).rows as never,
    exec: async (text) => void (await pg.exec(text)),
    onEachConnection: async (statements) => {
      for (const statement of statements) await pg.exec(statement);
    },
    close: () => pg.close(),
  };
  await setup?.(bench);
  return bench;
}

/** Serves `handler` on 127.0.0.1, tells the parent the port, and shuts down on SIGTERM/SIGINT or when the parent goes away. */
export function serve(handler: RequestListener, cleanup: () => Promise<void> = async () => {}): void {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), 3000);
    force.unref();
    server.close();
    server.closeAllConnections();
    try {
      await cleanup();
    } catch {
      // exiting anyway
    }
    process.exit(code);
  };
  process.once("SIGTERM", () => void stop(0));
  process.once("SIGINT", () => void stop(0));
  // The parent died without telling us (SIGKILL, crash): do not linger holding connections.
  process.once("disconnect", () => void stop(0));
  // The parent reads our CPU time around each run: server CPU per request, a figure that other
  // load on the machine disturbs far less than throughput.
  process.on("message", (message: { type?: string; id?: number }) => {
    if (message?.type === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send?.({ type: "cpu", id: message.id, micros: user + system });
    }
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    process.send?.({ type: "ready", port });
  });
}

export function json(res: ServerResponse, value: unknown, status = 200): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(value));
}

/** A bench route: `"METHOD /path"` → handler. */
export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * serve() for the ops and scale servers: a request goes to its route, anything else to
 * `middleware` (sessionkit's own Node middleware: refresh, sign-out, JWKS); a session error
 * answers with its status, any other failure 500 (logged as `[name]`).
 */
export function serveRoutes(
  name: string,
  routes: Record<string, Route>,
  middleware: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void,
  cleanup: () => Promise<void>,
): void {
  serve((req, res) => {
    const route = routes[`${req.method} ${(req.url ?? "/").split("?")[0]}`];
    const fail = (error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (isSessionError(error)) return json(res, { message: error.message, code: error.code }, error.status);
      console.error(`[${name}]`, error);
      json(res, { message: "error" }, 500);
    };
    if (route) {
      route(req, res).catch(fail);
      return;
    }
    middleware(req, res, (error?: unknown) => (error ? fail(error) : json(res, { message: "not found" }, 404)));
  }, cleanup);
}

/** Reads a whole request body as text. */
export async function readBody(req: AsyncIterable<Buffer | string>): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

/** The first value of a cookie in a Cookie header (for the peers, which bring no parser of their own). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
