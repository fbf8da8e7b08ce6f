// One sessionkit "server" in its own OS process, driven by processes.test.ts over stdin/stdout
// (one JSON object per line). Env: DATABASE_URL, SCHEMA, NAME, CHANNEL.

import { createInterface } from "node:readline";
import { createSessions, isSessionError } from "../../src/index.js";
import { drizzleStore, migrate } from "../../src/storage/index.js";
import { postgresClient } from "../helpers/db.js";

const { DATABASE_URL, SCHEMA, NAME = "worker", CHANNEL = "sessionkit_revocations" } = process.env;
if (!DATABASE_URL || !SCHEMA) throw new Error("worker needs DATABASE_URL and SCHEMA");

const pool = postgresClient(DATABASE_URL, SCHEMA, undefined, {
  max: 4,
  connection: { search_path: SCHEMA, application_name: `sk-worker-${NAME}` },
});
let sessions: ReturnType<typeof createSessions> | undefined;
const open = () =>
  (sessions ??= createSessions({
    store: drizzleStore(pool.db),
    revocation: "notify",
    notifyChannel: CHANNEL,
    antiCsrf: "none",
    onWarning: (message) => process.stderr.write(`${NAME}: ${message}\n`),
  }));

const wallNow = () => performance.timeOrigin + performance.now();
const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function verify(cookie: string): Promise<{ result: string; queries: number }> {
  const before = pool.queries.count;
  let result = "ok";
  try {
    await open().getSession(new Request("http://localhost/x", { headers: { cookie } }), new Headers());
  } catch (error) {
    if (!isSessionError(error)) throw error;
    result = error.code;
  }
  return { result, queries: pool.queries.count - before };
}

type Input = Record<string, string> & { id: string };
const commands: Record<string, (input: Input) => Promise<unknown>> = {
  async start() {
    // Everything a server does when it boots on an empty database, at the same moment as others.
    const applied = await migrate(pool.db);
    const headers = new Headers();
    const session = await open().createNewSession({ userId: `user-${NAME}` }, headers);
    const cookie = headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
    return { applied, handle: session.getHandle(), cookie };
  },
  verify: (input) => verify(input.cookie as string),
  async waitLive(input) {
    const deadline = wallNow() + 10_000;
    for (;;) {
      const { result, queries } = await verify(input.cookie as string);
      if (result !== "ok") throw new Error(`probe rejected: ${result}`);
      if (queries === 0) return { live: true };
      if (wallNow() > deadline) throw new Error("listener did not go live");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  },
  async watch(input) {
    // Memory-only polling until the token is refused; a 1 ms sleep between looks (not a busy
    // loop), so several watching processes do not starve Postgres and each other of CPU.
    let accepted = 0;
    let queries = 0;
    const deadline = wallNow() + 5000;
    reply({ id: input.id, ack: true });
    for (;;) {
      const r = await verify(input.cookie as string);
      queries += r.queries;
      if (r.result !== "ok") return { at: wallNow(), accepted, queries, result: r.result };
      accepted++;
      if (wallNow() > deadline) return { at: wallNow(), accepted, queries, result: "still accepted" };
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  },
  async close() {
    await sessions?.close();
    await pool.sql.end({ timeout: 1 });
    lines.close();
    // Nothing else: the process must now exit by itself (no listener, timer or socket left).
    return { closed: true };
  },
};

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const input = JSON.parse(line) as Input;
  const command = commands[input.cmd as string];
  if (!command) return reply({ id: input.id, error: `unknown command ${input.cmd}` });
  command(input).then(
    (value) => reply({ id: input.id, value }),
    (error: unknown) => reply({ id: input.id, error: String(error) }),
  );
});
reply({ ready: true });
