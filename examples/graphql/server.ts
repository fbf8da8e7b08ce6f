// `npm run example:graphql`: the GraphQL example on embedded PGlite (data in .data/graphql), no
// Postgres needed. GraphiQL at http://localhost:4000/graphql.
// Environment: PORT (4000; 0 picks a free port), DATA_DIR (.data/graphql), ACCESS_TOKEN_TTL
// seconds (3600), ANTI_CSRF (via-custom-header | via-token | none), REVOCATION (notify |
// check-database | none), ADMINS (comma-separated names), COOKIE_SECURE (true behind https).

import { createServer } from "node:http";
import { exampleDatabase, exampleSettings, listenUntilStopped } from "../shared/run.js";
import { createApp } from "./app.js";

const dataDir = process.env.DATA_DIR ?? ".data/graphql";
const { pg, db } = exampleDatabase(dataDir);
const app = await createApp({ db, ...exampleSettings(3600) });

// Yoga is a node:http handler; the plugin answers sessionkit's own routes inside it.
listenUntilStopped(
  createServer(app.yoga),
  Number(process.env.PORT ?? 4000),
  (port) => `sessionkit GraphQL example (data in ${dataDir}): GraphiQL at http://localhost:${port}/graphql`,
  async () => {
    await app.close();
    await pg.close();
  },
);
