// Another OS process that revokes sessions (driven by processes.test.ts in this folder): one
// handle per stdin line; answers with the wall-clock time at which revokeSession returned.
// Env: DATABASE_URL, SCHEMA, CHANNEL.

import { createInterface } from "node:readline";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { postgresClient } from "../helpers/db.js";

const { DATABASE_URL, SCHEMA, CHANNEL } = process.env;
if (!DATABASE_URL || !SCHEMA || !CHANNEL) throw new Error("revoker needs DATABASE_URL, SCHEMA and CHANNEL");
const pool = postgresClient(DATABASE_URL, SCHEMA);
const sessions = createSessions({ store: drizzleStore(pool.db), revocation: "notify", notifyChannel: CHANNEL, onWarning: () => {} });
const lines = createInterface({ input: process.stdin });
lines.on("line", async (handle) => {
  if (handle === "close") {
    await sessions.close();
    await pool.sql.end({ timeout: 1 });
    process.exit(0);
  }
  const revoked = await sessions.revokeSession(handle);
  process.stdout.write(`${JSON.stringify({ revoked, at: performance.timeOrigin + performance.now() })}\n`);
});
process.stdout.write("ready\n");
