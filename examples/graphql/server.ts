// `npm run example:graphql`: the GraphQL example on embedded PGlite (data in .data/graphql), no
// Postgres needed. GraphiQL at http://localhost:4000/graphql.
// Environment: PORT (4000; 0 picks a free port), DATA_DIR (.data/graphql), ACCESS_TOKEN_TTL
// seconds (3600), ANTI_CSRF (via-custom-header | via-token | none), REVOCATION (notify |
// check-database | none), ADMINS (comma-separated names), COOKIE_SECURE (true behind https).

import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import type { AntiCsrfMode, RevocationMode } from "../../src/index.js";
import type { AnyPgDatabase } from "../../src/storage/index.js";
import { createApp } from "./app.js";

const env = process.env;
const port = Number(env.PORT ?? 4000);
const dataDir = env.DATA_DIR ?? ".data/graphql";

mkdirSync(dataDir, { recursive: true });
const pg = new PGlite(dataDir);
const app = await createApp({
  db: drizzle(pg) as unknown as AnyPgDatabase,
  admins: (env.ADMINS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
  sessionsOptions: {
    accessTokenTtl: Number(env.ACCESS_TOKEN_TTL ?? 3600),
    antiCsrf: (env.ANTI_CSRF ?? "via-custom-header") as AntiCsrfMode,
    revocation: (env.REVOCATION ?? "notify") as RevocationMode,
    // Plain http in development: browsers drop Secure cookies on http:// origins other than
    // localhost, so another machine or a phone on your network could not sign in. Any real
    // deployment is behind https: leave `secure` at its default, true (COOKIE_SECURE=true here).
    cookies: { secure: env.COOKIE_SECURE === "true" },
  },
});

// Yoga is a node:http handler; the plugin answers sessionkit's own routes inside it.
const server = createServer(app.yoga);
server.listen(port, () => {
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  console.log(`sessionkit GraphQL example (data in ${dataDir}): GraphiQL at http://localhost:${actual}/graphql`);
});

async function shutdown(): Promise<void> {
  server.close();
  server.closeAllConnections();
  await app.close();
  await pg.close();
  process.exit(0);
}
process.once("SIGINT", () => void shutdown());
process.once("SIGTERM", () => void shutdown());
