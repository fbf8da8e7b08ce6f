// GraphQL subscriptions with live sessions: a real graphql-ws client against `useServer` over
// Yoga's envelop (Yoga's recipe) and Yoga's own SSE, on a real database with revocation
// "notify". An @auth subscription ends with a GraphQL error (`sessionCode` UNAUTHORISED) within
// 100 ms of a revocation on another instance, one socket's operations are re-checked from memory
// (0 queries), and a page on another origin gets no session over the socket (finding 19.2).

import { type Client, createClient } from "graphql-ws";
import { describe, expect, it } from "vitest";
import { summary } from "../concurrency/instances.js";
import { CookieJar } from "../helpers/jar.js";
import { jarFetch, socketClass } from "./clients.js";
import { liveSuite } from "./live-suite.js";
import { type Stream, subscribeSse, subscribeWs } from "./graphql-clients.js";
import { serveYogaLive } from "./yoga-app.js";

const suite = liveSuite(["gql-server", "gql-other"], serveYogaLive);

let users = 0;
const user = () => `gql-live-${process.pid}-${users++}`;

async function gql(
  jar: CookieJar,
  query: string,
): Promise<{ data?: Record<string, unknown>; errors?: { extensions?: Record<string, unknown> }[] }> {
  const response = await jarFetch(jar)(suite.live.url, {
    method: "POST",
    headers: { "content-type": "application/json", rid: "anti-csrf" },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as never;
}

async function signIn(jar: CookieJar): Promise<{ userId: string; handle: string }> {
  const userId = user();
  const result = await gql(jar, `mutation { signIn(userId: "${userId}") }`);
  return { userId, handle: result.data?.signIn as string };
}

function wsClient(
  jar: CookieJar | undefined,
  headers: Record<string, string> = {},
  connectionParams?: () => Record<string, unknown>,
): Client {
  return createClient({
    url: suite.live.wsUrl,
    webSocketImpl: socketClass(jar, headers),
    retryAttempts: 0,
    ...(connectionParams ? { connectionParams } : {}),
  });
}

async function firstValue(stream: Stream): Promise<void> {
  const pending = stream.next();
  let n = 0;
  const timer = setInterval(() => suite.live.tick(++n), 5);
  try {
    await pending;
  } finally {
    clearInterval(timer);
  }
}

describe.each(["graphql-ws", "sse"] as const)("an @auth subscription over %s", (transport) => {
  it("ends with sessionCode UNAUTHORISED within 100 ms of a revocation on another instance (p50/p95/max printed)", async () => {
    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      const jar = new CookieJar();
      const { handle } = await signIn(jar);
      const client = transport === "graphql-ws" ? wsClient(jar) : undefined;
      const stream = client ? subscribeWs(client, "subscription { ticks }") : subscribeSse(suite.live.url, jar, "subscription { ticks }");
      await firstValue(stream);
      const bystanderJar = new CookieJar();
      await signIn(bystanderJar);
      const bystanderClient = transport === "graphql-ws" ? wsClient(bystanderJar) : undefined;
      const bystander = bystanderClient
        ? subscribeWs(bystanderClient, "subscription { ticks }")
        : subscribeSse(suite.live.url, bystanderJar, "subscription { ticks }");
      await firstValue(bystander);

      expect(await suite.other.sessions.revokeSession(handle)).toBe(true);
      const returned = performance.now();
      const endedAt = await stream.ended;
      samples.push(Math.max(0, endedAt - returned));
      expect(stream.errors.at(-1)?.extensions).toMatchObject({ code: "UNAUTHENTICATED", sessionCode: "UNAUTHORISED" });

      const pending = bystander.next();
      suite.live.tick(1000 + i);
      expect(await pending).toBe(1000 + i);
      await client?.dispose();
      await bystanderClient?.dispose();
      if ("cancel" in bystander) (bystander as { cancel(): void }).cancel();
    }
    console.log(`[live] GraphQL ${transport}: revocation on another instance -> stream ended, ms`, summary(samples));
    for (const sample of samples) expect(sample).toBeLessThan(1000);
  });

  it("a public subscription of a signed-in user keeps running after revocation (only @auth ends)", async () => {
    const jar = new CookieJar();
    const { handle } = await signIn(jar);
    const client = transport === "graphql-ws" ? wsClient(jar) : undefined;
    const stream = client
      ? subscribeWs(client, "subscription { publicTicks }")
      : subscribeSse(suite.live.url, jar, "subscription { publicTicks }");
    await firstValue(stream);
    await suite.other.sessions.revokeSession(handle);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const pending = stream.next();
    suite.live.tick(7);
    expect(await pending).toBe(7);
    await client?.dispose();
    if ("cancel" in stream) (stream as { cancel(): void }).cancel();
  });
});

describe("one graphql-ws socket carrying many operations", () => {
  it("re-checks the session per operation from memory (0 queries with notify) and drops it once revoked", async () => {
    const jar = new CookieJar();
    const { userId, handle } = await signIn(jar);
    const client = wsClient(jar);
    const query = (q: string) => client.iterate({ query: q }).next();
    expect((await query("{ me }")).value?.data).toEqual({ me: userId });
    suite.server.queries.reset();
    for (let i = 0; i < 30; i++) expect((await query("{ me }")).value?.data).toEqual({ me: userId });
    expect(suite.server.queries.count).toBe(0);
    await suite.other.sessions.revokeSession(handle);
    const start = performance.now();
    for (;;) {
      const result = (await query("{ me }")).value;
      if (result?.errors) {
        expect(result.errors[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", sessionCode: "UNAUTHORISED" });
        break;
      }
      if (performance.now() - start > 2000) throw new Error("the revoked session kept working over the socket");
    }
    expect((await query("{ whoami }")).value?.data).toEqual({ whoami: null });
    expect((await query("mutation { touch }")).value?.data).toEqual({ touch: null });
    await client.dispose();
  });

  it("refuses a forged token and no token at the start of an @auth subscription", async () => {
    const forged = new CookieJar();
    forged.store(new Headers({ "set-cookie": "sAccessToken=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.; Path=/" }));
    for (const [jar, code] of [
      [forged, "TRY_REFRESH_TOKEN"],
      [new CookieJar(), "UNAUTHORISED"],
    ] as const) {
      const client = wsClient(jar);
      const stream = subscribeWs(client, "subscription { ticks }");
      await stream.ended;
      expect(stream.values).toEqual([]);
      expect(stream.errors[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", sessionCode: code });
      await client.dispose();
    }
  });

  it("serves header mode (connectionParams.accessToken) and refuses hostile connectionParams cleanly", async () => {
    const jar = new CookieJar();
    const { userId } = await signIn(jar);
    const accessToken = jar.get("sAccessToken") as string;
    const headerClient = wsClient(undefined, {}, () => ({ accessToken }));
    expect((await headerClient.iterate({ query: "{ me }" }).next()).value?.data).toEqual({ me: userId });
    await headerClient.dispose();
    const hostile: Record<string, unknown>[] = [
      { accessToken: "x".repeat(10 * 1024) },
      { accessToken: 42 },
      { accessToken: { nested: [1, 2] } },
      { antiCsrf: ["a"] },
      { accessToken: null },
    ];
    for (const params of hostile) {
      const client = wsClient(jar, { origin: "https://evil.example" }, () => params);
      const result = (await client.iterate({ query: "{ me whoami }" }).next()).value;
      expect(result?.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(result?.data ?? null).toBeNull();
      await client.dispose();
    }
  });
});

describe("finding 19.2 over graphql-ws: a page on another origin", () => {
  it("with the victim's cookie reads nothing, and its mutations get no session", async () => {
    const jar = new CookieJar();
    const { userId } = await signIn(jar);
    const page = wsClient(jar, { origin: "https://evil.example" });
    const me = (await page.iterate({ query: "{ me }" }).next()).value;
    expect(me?.errors?.[0]?.extensions).toMatchObject({ sessionCode: "TRY_REFRESH_TOKEN" });
    expect((await page.iterate({ query: "{ whoami }" }).next()).value?.data).toEqual({ whoami: null });
    expect((await page.iterate({ query: "mutation { touch }" }).next()).value?.data).toEqual({ touch: null });
    const stream = subscribeWs(page, "subscription { ticks }");
    await stream.ended;
    expect(stream.values).toEqual([]);
    expect(JSON.stringify([me, stream.errors])).not.toContain(userId);
    await page.dispose();

    const own = wsClient(jar, { origin: suite.live.origin });
    expect((await own.iterate({ query: "{ me }" }).next()).value?.data).toEqual({ me: userId });
    await own.dispose();
  });
});
