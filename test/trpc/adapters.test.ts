// Smoke tests of createSessionContext on tRPC's Express and Fastify adapters, with the example's
// router: sign-up cookies, a cookie set inside a procedure, silent refresh, revocation, sign-out.

import { createExpressMiddleware } from "@trpc/server/adapters/express";
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../examples/trpc/app.js";
import type { AppRouter } from "../../examples/trpc/router.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { RequestLog, createClient, listen, rejection, uniqueName } from "./harness.js";

let db: TestDb;
let app: App;
let now = Date.parse("2026-03-01T10:00:00Z");
const clock = () => now;

beforeAll(async () => {
  db = await createTestDb();
  app = await createApp({
    db: db.db,
    log: () => {},
    sessionsOptions: { accessTokenTtl: 60, revocation: "check-database", cookies: { secure: false }, now: clock },
  });
});
afterAll(async () => {
  await app.close();
  await db.close();
});

async function expressServer(log: RequestLog) {
  const server = express();
  server.use((req, _res, next) => {
    log.paths.push(req.path);
    next();
  });
  server.use(app.sessions.middleware()); // POST /auth/session/refresh, /auth/signout, JWKS
  server.use("/trpc", createExpressMiddleware({ router: app.router, createContext: app.createContext }));
  return listen(server);
}

async function fastifyServer(log: RequestLog) {
  const server: FastifyInstance = Fastify();
  server.addHook("onRequest", async (request) => {
    log.paths.push(request.url.split("?")[0] ?? "");
  });
  // sessionkit's routes as a fetch handler: Fastify 5 sends a fetch Response as it is.
  server.all("/auth/*", async (request, reply) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers.set(name, value);
    const response = await app.sessions.handle(new Request(`http://localhost${request.url}`, { method: request.method, headers }));
    return reply.send(response ?? new Response("Not found", { status: 404 }));
  });
  await server.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: { router: app.router, createContext: app.createContext } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });
  await server.listen({ port: 0, host: "127.0.0.1" });
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

describe.each([
  ["express", expressServer],
  ["fastify", fastifyServer],
] as const)("%s adapter", (name, start) => {
  let server: { url: string; close(): Promise<unknown> };
  const log = new RequestLog();
  beforeAll(async () => {
    server = await start(log);
  });
  afterAll(() => server.close());

  it("signs up, sets cookies from procedures, refreshes silently, and signs out", async () => {
    const client = createClient(server.url, { now: clock });
    const me = await client.trpc.signUp.mutate({ name: uniqueName(name), password: "correct horse battery", displayName: "Ada" });
    expect(client.jar.get("sAccessToken")).toBeTruthy();
    expect(client.jar.get("sRefreshToken")).toBeTruthy();
    const before = client.jar.get("sAccessToken");
    expect((await client.trpc.rename.mutate({ displayName: "Grace" })).displayName).toBe("Grace");
    expect(client.jar.get("sAccessToken")).not.toBe(before); // new access token from inside the procedure
    expect((await client.trpc.me.query()).displayName).toBe("Grace");

    now += 61_000;
    log.reset();
    const [a, b] = await Promise.all([client.trpc.me.query(), client.trpc.notes.list.query()]);
    expect(a.userId).toBe(me.userId);
    expect(b).toEqual([]);
    expect(log.count("/auth/session/refresh")).toBe(1);

    await client.trpc.signOut.mutate();
    expect(client.jar.get("sAccessToken")).toBeUndefined();
    expect((await rejection(client.trpc.me.query())).data).toMatchObject({ httpStatus: 401, sessionCode: "UNAUTHORISED" });
  });

  it("rejects a revoked session with 401 and clears its cookies", async () => {
    const client = createClient(server.url, { now: clock });
    const me = await client.trpc.signUp.mutate({ name: uniqueName(name), password: "correct horse battery" });
    await app.sessions.revokeSession(me.handle);
    const error = await rejection(client.trpc.me.query());
    expect(error.data).toMatchObject({ httpStatus: 401, sessionCode: "UNAUTHORISED" });
    expect(client.jar.get("sAccessToken")).toBeUndefined();
  });
});
