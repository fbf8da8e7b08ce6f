// What both examples' server scripts share: the PGlite database in a folder, the settings read
// from the environment, and listening with a clean shutdown.

import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import type { AntiCsrfMode, CreateSessionsOptions, RevocationMode } from "../../src/index.js";
import type { AnyPgDatabase } from "../../src/storage/index.js";

const env = process.env;

/** Embedded PGlite with its data in `dataDir` (created if missing): no Postgres needed. */
export function exampleDatabase(dataDir: string): { pg: PGlite; db: AnyPgDatabase } {
  mkdirSync(dataDir, { recursive: true });
  const pg = new PGlite(dataDir);
  return { pg, db: drizzle(pg) as unknown as AnyPgDatabase };
}

/** ADMINS, ACCESS_TOKEN_TTL, ANTI_CSRF, REVOCATION and COOKIE_SECURE from the environment. */
export function exampleSettings(defaultAccessTokenTtl: number): {
  admins: string[];
  sessionsOptions: Omit<CreateSessionsOptions, "store">;
} {
  return {
    admins: (env.ADMINS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    sessionsOptions: {
      accessTokenTtl: Number(env.ACCESS_TOKEN_TTL ?? defaultAccessTokenTtl),
      antiCsrf: (env.ANTI_CSRF ?? "via-custom-header") as AntiCsrfMode,
      revocation: (env.REVOCATION ?? "notify") as RevocationMode,
      // Plain http in development: browsers drop Secure cookies on http:// origins other than
      // localhost, so a phone or another machine on your network could not sign in. Behind https
      // (any real deployment) leave `secure` at its default, true: set COOKIE_SECURE=true here.
      cookies: { secure: env.COOKIE_SECURE === "true" },
    },
  };
}

/** Listens on `port`, prints where, and closes everything on Ctrl-C or SIGTERM. */
export function listenUntilStopped(server: Server, port: number, banner: (port: number) => string, close: () => Promise<void>): void {
  server.listen(port, () => {
    const address = server.address();
    console.log(banner(typeof address === "object" && address ? address.port : port));
  });
  const shutdown = async () => {
    server.close();
    server.closeAllConnections();
    await close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
}
