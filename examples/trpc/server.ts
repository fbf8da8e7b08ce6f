// `npm start`: the tRPC example on embedded PGlite (data in .data/trpc), no Postgres needed.
// Environment: PORT (3000), DATA_DIR (.data/trpc), ACCESS_TOKEN_TTL seconds (60, short so you see
// silent refresh), ANTI_CSRF (via-custom-header | via-token | none), REVOCATION (notify |
// check-database | none), ADAPTER (fetch | node), ADMINS (comma-separated names), COOKIE_SECURE.

import { createServer } from "node:http";
import { exampleDatabase, exampleSettings, listenUntilStopped } from "../shared/run.js";
import { createApp } from "./app.js";
import { clientBundle } from "./page.js";
import { serveFetch } from "./serve.js";

const dataDir = process.env.DATA_DIR ?? ".data/trpc";
const adapter = process.env.ADAPTER === "node" ? "node" : "fetch";
const { pg, db } = exampleDatabase(dataDir);
const app = await createApp({ db, ...exampleSettings(60) });
// Build the page script now, so the first visitor does not wait and a build error shows at once.
await clientBundle();

listenUntilStopped(
  createServer(adapter === "node" ? app.node : serveFetch(app.fetch)),
  Number(process.env.PORT ?? 3000),
  (port) => `sessionkit tRPC example (${adapter} adapter, data in ${dataDir}) at http://localhost:${port}/`,
  async () => {
    await app.close();
    await pg.close();
  },
);
