// `npx tsx examples/hono/server.ts`: the Hono example on Node (@hono/node-server) and embedded
// PGlite (data in .data/hono). PORT (3000) and the settings of examples/shared/run.ts apply.

import { serve } from "@hono/node-server";
import { createSessions } from "../../src/index.js";
import { drizzleStore, migrate } from "../../src/storage/index.js";
import { exampleDatabase, exampleSettings } from "../shared/run.js";
import { Users, ensureUsersTable } from "../shared/users.js";
import { createHonoApp } from "./app.js";

const dataDir = process.env.DATA_DIR ?? ".data/hono";
const { pg, db } = exampleDatabase(dataDir);
await migrate(db);
await ensureUsersTable(db);
const sessions = createSessions({ ...exampleSettings(60).sessionsOptions, store: drizzleStore(db) });
const app = createHonoApp(sessions, new Users(db));

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(`sessionkit Hono example (tRPC at /trpc, GraphQL at /graphql, data in ${dataDir}) at http://localhost:${info.port}/`);
});
const shutdown = () =>
  server.close(async () => {
    await sessions.close();
    await pg.close();
    process.exit(0);
  });
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
