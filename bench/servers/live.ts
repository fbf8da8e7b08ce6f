// The live-connections bench server, in its own process: tRPC over `ws` (applyWSSHandler) with a
// `feed` subscription behind requireSession(), revocation "notify". Control routes for the
// driver (bench/live.ts): mint sessions, publish an event, revoke, and memory after a GC.

import { EventEmitter, on } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { initTRPC } from "@trpc/server";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocketServer } from "ws";
import { createSessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";
import { engineOf } from "../../src/core/internal.js";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { BENCH_SECRET, env, openDb } from "./common.js";

const bench = await openDb();
const sessions = createSessions({
  store: drizzleStore(bench.db),
  secret: BENCH_SECRET,
  cookies: { secure: false },
  revocation: "notify",
  notifyChannel: env("BENCH_NOTIFY_CHANNEL", "sessionkit_revocations"),
  antiCsrf: "none",
});
const ticks = new EventEmitter();
ticks.setMaxListeners(0);
const createContext = createSessionContext(sessions);
const t = initTRPC.context<typeof createContext>().create({ errorFormatter: sessionErrorFormatter });
const router = t.router({
  feed: t.procedure.use(requireSession()).subscription(async function* ({ signal }) {
    for await (const [n] of on(ticks, "tick", { signal }) as AsyncIterable<[number]>) yield n;
  }),
});

const gc = (globalThis as { gc?: () => void }).gc;
const body = async (req: import("node:http").IncomingMessage): Promise<Record<string, unknown>> => {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
};
let n = 0;
const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  const input = await body(req);
  let out: unknown = {};
  if (url.pathname === "/mint") {
    const count = Number(input.count);
    const userId = String(input.userId);
    const minted: { cookie: string; handle: string }[] = [];
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, async () => {
          const headers = new Headers();
          const session = await sessions.createNewSession({ userId }, headers);
          const cookie =
            headers
              .getSetCookie()
              .find((l) => l.startsWith("sAccessToken="))
              ?.split(";")[0] ?? "";
          return { cookie, handle: session.getHandle() };
        }),
      );
      minted.push(...batch);
    }
    out = minted;
  } else if (url.pathname === "/publish") ticks.emit("tick", ++n);
  else if (url.pathname === "/revoke") out = { ok: await sessions.revokeSession(String(input.handle)) };
  else if (url.pathname === "/revoke-user") out = { handles: (await sessions.revokeAllSessionsForUser(String(input.userId))).length };
  else if (url.pathname === "/stats") {
    for (let i = 0; i < 3; i++) gc?.();
    const memory = process.memoryUsage();
    out = { heapUsed: memory.heapUsed, rss: memory.rss, watches: engineOf(sessions).live.size, sockets: wss.clients.size };
  }
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(out));
});
const wss = new WebSocketServer({ server });
applyWSSHandler({ wss, router, createContext });
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", async () => {
  for (const client of wss.clients) client.terminate();
  await sessions.close();
  await bench.close();
  process.exit(0);
});
