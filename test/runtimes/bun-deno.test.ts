// The tRPC example under Bun and Deno (both installed from npm), served by each runtime's own
// HTTP server (Bun.serve, Deno.serve) on postgres.js and real Postgres: the same core flows over
// HTTP on each (Node runs them in test/trpc/flows.test.ts). Without DATABASE_URL there is no
// server to connect to.

import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll, describe } from "vitest";
import { DATABASE_URL } from "../helpers/db.js";
import { type RemoteApp, coreFlows } from "./flows.js";
import { type Started, startServer } from "./spawn.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = "test/runtimes/fixtures/trpc-server.ts";

const RUNTIMES: Record<string, [string, string[]]> = {
  bun: [`${root}node_modules/.bin/bun`, [fixture]],
  // Sloppy imports: the sources import "./x.js" for ./x.ts, as TypeScript's NodeNext wants.
  deno: [`${root}node_modules/.bin/deno`, ["run", "--allow-all", "--sloppy-imports", fixture]],
};

describe.skipIf(!DATABASE_URL).each(Object.keys(RUNTIMES))("the tRPC example under %s", (runtime) => {
  let server: Started;
  let admin: postgres.Sql;
  const schema = `sk_rt_${runtime}_${Math.random().toString(36).slice(2, 8)}`;
  let now = Date.parse("2026-03-01T10:00:00Z");

  beforeAll(async () => {
    admin = postgres(DATABASE_URL as string, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    const [command, args] = RUNTIMES[runtime] as [string, string[]];
    const started = Date.now();
    server = await startServer(command, args, { cwd: root, env: { DATABASE_URL, SCHEMA: schema, START_NOW: String(now) } });
    console.log(`${server.hello.runtime}: listening after ${Date.now() - started} ms`);
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end({ timeout: 1 });
  });

  const app: RemoteApp = {
    get url() {
      return server.url;
    },
    now: () => now,
    async setNow(ms) {
      now = ms;
      const res = await fetch(`${server.url}/__test/now`, { method: "POST", body: String(ms) });
      if (res.status !== 204) throw new Error(`could not set the clock: ${res.status}`);
    },
  };
  coreFlows(runtime, () => app);
});
