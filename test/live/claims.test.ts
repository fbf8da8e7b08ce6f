// Claims on live connections, real clients on a real database (revocation "notify"): a tRPC
// subscription behind requireSession({ claims }) over WebSocket and SSE, and a GraphQL
// subscription behind @auth(requires:) over graphql-ws and Yoga's SSE. A member is refused with
// FORBIDDEN / INVALID_CLAIM (and keeps the session and the socket); an admin gets the events.

import { type Client, createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Instance, openInstance, uniqueChannel } from "../concurrency/instances.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { jarFetch, record, signIn, socketClass, sseTrpc, wsTrpc } from "./clients.js";
import { type Stream, subscribeSse, subscribeWs } from "./graphql-clients.js";
import { type LiveServer, liveRoles, serveLive } from "./trpc-app.js";
import { type YogaLive, serveYogaLive } from "./yoga-app.js";

let db: TestDb;
let instance: Instance;
let trpcLive: LiveServer;
let yogaLive: YogaLive;
const options = {
  revocation: "notify",
  notifyChannel: uniqueChannel(),
  cookies: { secure: false },
  liveCheckIntervalMs: 50,
  claims: [liveRoles],
} as const;

beforeAll(async () => {
  db = await createTestDb();
  instance = openInstance(db, "claims-live", options);
  [trpcLive, yogaLive] = await Promise.all([serveLive(instance.sessions), serveYogaLive(instance.sessions)]);
});
afterAll(async () => {
  await trpcLive?.close();
  await yogaLive?.close();
  await instance?.close();
  await db?.close();
});

let users = 0;
const user = (suffix = "") => `claims-live-${process.pid}-${users++}${suffix}`;
const denied = { code: "FORBIDDEN", sessionCode: "INVALID_CLAIM" };

describe.each(["ws", "sse"] as const)("a tRPC subscription behind requireSession({ claims }) over %s", (transport) => {
  function open(jar: CookieJar) {
    if (transport === "ws") return wsTrpc(trpcLive.wsUrl, { jar });
    return { trpc: sseTrpc(trpcLive.url, jar), close: async () => {} };
  }
  /** Publishes until the subscription has seen an event (subscribing is asynchronous). */
  async function firstEvent(sub: ReturnType<typeof record>): Promise<number> {
    const pending = sub.nextEvent();
    const timer = setInterval(() => trpcLive.feed.publish(), 5);
    try {
      return await pending;
    } finally {
      clearInterval(timer);
    }
  }

  it("refuses a member with FORBIDDEN / INVALID_CLAIM; the session and the connection stay usable", async () => {
    const jar = new CookieJar();
    const userId = user();
    await signIn(trpcLive.url, jar, userId);
    const client = open(jar);
    const refused = record(client.trpc.adminFeed);
    const error = await refused.error;
    expect(error.data).toMatchObject(denied);
    expect(refused.events).toEqual([]);
    // The same client: a protected query and the unguarded feed still work.
    expect(await client.trpc.me.query()).toBe(userId);
    const plain = record(client.trpc.feed);
    expect(await firstEvent(plain)).toBeGreaterThan(0);
    plain.stop();
    await client.close();
  });

  it("lets an admin subscribe", async () => {
    const jar = new CookieJar();
    await signIn(trpcLive.url, jar, user("-admin"));
    const client = open(jar);
    const sub = record(client.trpc.adminFeed);
    expect(await firstEvent(sub)).toBeGreaterThan(0);
    sub.stop();
    await client.close();
  });
});

describe.each(["graphql-ws", "sse"] as const)('a GraphQL subscription behind @auth(requires: ["admin"]) over %s', (transport) => {
  const clients: Client[] = [];
  afterAll(async () => {
    for (const client of clients) await client.dispose();
  });
  async function signInGql(jar: CookieJar, userId: string): Promise<void> {
    const response = await jarFetch(jar)(yogaLive.url, {
      method: "POST",
      headers: { "content-type": "application/json", rid: "anti-csrf" },
      body: JSON.stringify({ query: `mutation { signIn(userId: "${userId}") }` }),
    });
    expect(response.status).toBe(200);
  }
  function subscribe(jar: CookieJar, query: string): Stream {
    if (transport === "sse") return subscribeSse(yogaLive.url, jar, query);
    const client = createClient({ url: yogaLive.wsUrl, webSocketImpl: socketClass(jar), retryAttempts: 0 });
    clients.push(client);
    return subscribeWs(client, query);
  }
  async function firstValue(stream: Stream): Promise<void> {
    const pending = stream.next();
    let n = 0;
    const timer = setInterval(() => yogaLive.tick(++n), 5);
    try {
      await pending;
    } finally {
      clearInterval(timer);
    }
  }

  it("refuses a member with FORBIDDEN / INVALID_CLAIM and ends the stream; @auth alone still lets them in", async () => {
    const jar = new CookieJar();
    await signInGql(jar, user());
    const refused = subscribe(jar, "subscription { adminTicks }");
    await refused.ended;
    expect(refused.values).toEqual([]);
    expect(refused.errors[0]?.extensions).toMatchObject(denied);
    const allowed = subscribe(jar, "subscription { ticks }");
    await firstValue(allowed);
    expect(allowed.values.length).toBeGreaterThan(0);
    if ("cancel" in allowed) (allowed as { cancel(): void }).cancel();
  });

  it("lets an admin subscribe", async () => {
    const jar = new CookieJar();
    await signInGql(jar, user("-admin"));
    const stream = subscribe(jar, "subscription { adminTicks }");
    await firstValue(stream);
    expect(stream.values.length).toBeGreaterThan(0);
    expect(stream.errors).toEqual([]);
    if ("cancel" in stream) (stream as { cancel(): void }).cancel();
  });
});
