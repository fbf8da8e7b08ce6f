// `npm start`: the tRPC example on embedded PGlite (data in .data/trpc), no Postgres needed.
// Environment: PORT (3000), DATA_DIR (.data/trpc), ACCESS_TOKEN_TTL seconds (60, short so you see
// silent refresh), ANTI_CSRF (via-custom-header | via-token | none), REVOCATION (notify |
// check-database | none), ADAPTER (fetch | node), ADMINS (comma-separated names), COOKIE_SECURE.

import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import type { AntiCsrfMode, RevocationMode } from "../../src/index.js";
import type { AnyPgDatabase } from "../../src/storage/index.js";
import { clientBundle } from "./page.js";
import { createApp } from "./app.js";
import { serveFetch } from "./serve.js";

const env = process.env;
const port = Number(env.PORT ?? 3000);
const dataDir = env.DATA_DIR ?? ".data/trpc";
const adapter = env.ADAPTER === "node" ? "node" : "fetch";

mkdirSync(dataDir, { recursive: true });
const pg = new PGlite(dataDir);
const app = await createApp({
  db: drizzle(pg) as unknown as AnyPgDatabase,
  admins: (env.ADMINS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
  sessionsOptions: {
    accessTokenTtl: Number(env.ACCESS_TOKEN_TTL ?? 60),
    antiCsrf: (env.ANTI_CSRF ?? "via-custom-header") as AntiCsrfMode,
    revocation: (env.REVOCATION ?? "notify") as RevocationMode,
    // Plain http in development: browsers drop Secure cookies on http:// origins other than
    // localhost, so a phone or another machine on your network could not sign in. Behind https
    // (any real deployment) leave `secure` at its default, true: set COOKIE_SECURE=true here.
    cookies: { secure: env.COOKIE_SECURE === "true" },
  },
});
// Build the page script now, so the first visitor does not wait and a build error shows at once.
await clientBundle();

const server = createServer(adapter === "node" ? app.node : serveFetch(app.fetch));
server.listen(port, () => {
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  console.log(`sessionkit tRPC example (${adapter} adapter, data in ${dataDir}) at http://localhost:${actual}/`);
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
