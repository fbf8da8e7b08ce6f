// A tRPC app with live connections, served for real: HTTP (standalone adapter: queries, sign-in,
// SSE subscriptions for httpSubscriptionLink) and a `ws` WebSocketServer on the same port
// (applyWSSHandler). One `feed` subscription behind requireSession() replays from `lastEventId`
// (tracked ids), so a client that refreshes and resubscribes misses nothing; `adminFeed` is the
// same feed behind requireSession({ claims }) (the sessions need `liveRoles` among their claims).

import { EventEmitter, on } from "node:events";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { initTRPC, tracked } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocketServer } from "ws";
import { z } from "zod";
import { createSessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";
import { type Sessions, claim } from "../../src/index.js";

/** A role claim for the live apps: a user id ending in "-admin" is an admin. */
export const liveRoles = claim<string[]>("st-role", { fetch: (userId) => (userId.endsWith("-admin") ? ["admin"] : []) });

/** Numbered events for every subscriber, with history for replays. */
export class Feed {
  readonly emitter = new EventEmitter();
  n = 0;
  readonly history: number[] = [];
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish(): number {
    this.n++;
    this.history.push(this.n);
    if (this.history.length > 10_000) this.history.shift();
    this.emitter.emit("tick", this.n);
    return this.n;
  }
}

export function liveRouter(sessions: Sessions, feed: Feed) {
  const createContext = createSessionContext(sessions);
  const t = initTRPC.context<typeof createContext>().create({ errorFormatter: sessionErrorFormatter });
  const protectedProcedure = t.procedure.use(requireSession());
  const seen: { touch: (string | null)[] } = { touch: [] };
  const router = t.router({
    signIn: t.procedure.input(z.object({ userId: z.string() })).mutation(async ({ ctx, input }) => {
      const session = await ctx.createNewSession({ userId: input.userId });
      return { handle: session.getHandle() };
    }),
    me: protectedProcedure.query(({ ctx }) => ctx.session.getUserId()),
    whoami: t.procedure.query(({ ctx }) => ctx.session?.getUserId() ?? null),
    touch: t.procedure.mutation(({ ctx }) => {
      const who = ctx.session?.getUserId() ?? null;
      seen.touch.push(who);
      return who;
    }),
    feed: protectedProcedure.input(z.object({ lastEventId: z.string().nullish() }).optional()).subscription(feedEvents(feed)),
    adminFeed: protectedProcedure
      .use(requireSession({ claims: [liveRoles.includes("admin")] }))
      .input(z.object({ lastEventId: z.string().nullish() }).optional())
      .subscription(feedEvents(feed)),
  });
  return { router, createContext, seen };
}

/** Every feed event after the subscriber's `lastEventId` (or from now), as tracked events. */
function feedEvents(feed: Feed) {
  return async function* ({
    input,
    signal,
  }: {
    input?: { lastEventId?: string | null | undefined } | undefined;
    signal?: AbortSignal | undefined;
  }) {
    const after = input?.lastEventId ? Number(input.lastEventId) : feed.n;
    // Listen first, then replay what was missed, so nothing falls between the two.
    const events = on(feed.emitter, "tick", { signal });
    for (const n of feed.history) if (n > after) yield tracked(String(n), n);
    let last = Math.max(after, feed.history.at(-1) ?? 0);
    for await (const [n] of events as AsyncIterable<[number]>) {
      if (n <= last) continue;
      last = n;
      yield tracked(String(n), n);
    }
  };
}

export type LiveRouter = ReturnType<typeof liveRouter>["router"];

export interface LiveServer {
  url: string;
  wsUrl: string;
  origin: string;
  sessions: Sessions;
  feed: Feed;
  seen: { touch: (string | null)[] };
  server: Server;
  wss: WebSocketServer;
  close(): Promise<void>;
}

export async function serveLive(sessions: Sessions): Promise<LiveServer> {
  const feed = new Feed();
  const { router, createContext, seen } = liveRouter(sessions, feed);
  const trpc = createHTTPHandler({ router, createContext, basePath: "/trpc/" });
  const routes = sessions.middleware();
  const server = createServer((req, res) => {
    routes(req, res, () => {
      if (req.url?.startsWith("/trpc/")) return trpc(req, res);
      res.statusCode = 404;
      res.end();
    });
  });
  const wss = new WebSocketServer({ server, path: "/ws" });
  const handler = applyWSSHandler({ wss, router, createContext });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    origin: `http://127.0.0.1:${port}`,
    sessions,
    feed,
    seen,
    server,
    wss,
    async close() {
      handler.broadcastReconnectNotification();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
