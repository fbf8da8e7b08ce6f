// Subscriptions over SSE: the session is checked when the subscription starts, and an @auth
// stream ends when its access token expires (TRY_REFRESH_TOKEN, injected clock: the shared timer
// looks every `liveCheckIntervalMs`); a resolver that tries to set a cookie after the response
// has started fails loudly instead of dropping it.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { type GraphqlClient, type Harness, startHarness, transports } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

interface SseEvent {
  event: string;
  data: string;
}

/** Opens an SSE subscription and reads its events one by one (comments and pings skipped). */
async function subscribe(client: GraphqlClient, query: string) {
  const response = await client.call("/graphql", { body: { query }, headers: { accept: "text/event-stream" } });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const next = async (timeoutMs = 5000): Promise<SseEvent> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split("\n").filter((l) => !l.startsWith(":"));
        if (lines.length === 0) continue;
        const field = (name: string) =>
          lines
            .filter((l) => l.startsWith(`${name}:`))
            .map((l) => l.slice(name.length + 1).trim())
            .join("\n");
        return { event: field("event"), data: field("data") };
      }
      if (Date.now() > deadline) throw new Error("no SSE event before the deadline");
      const chunk = await reader.read();
      if (chunk.done) throw new Error("the stream ended");
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  return { response, next, close: () => reader.cancel() };
}

/** Publishes until the subscriber has registered (subscribing is asynchronous). */
async function publishUntilSeen(h: Harness, sub: Awaited<ReturnType<typeof subscribe>>, n: number): Promise<SseEvent> {
  const pending = sub.next();
  const timer = setInterval(() => h.tick(n), 5);
  try {
    return await pending;
  } finally {
    clearInterval(timer);
  }
}

describe.each(transports)("subscriptions over SSE via %s", (transport) => {
  let now = Date.parse("2026-04-01T08:00:00Z");
  const clock = () => now;
  let h: Harness;
  const logged: unknown[] = [];
  const logger = { debug() {}, info() {}, warn() {}, error: (...args: unknown[]) => logged.push(...args) };
  beforeAll(async () => {
    h = await startHarness(db, {
      transport,
      sessions: { accessTokenTtl: 60, now: clock, liveCheckIntervalMs: 20 },
      yoga: { logging: logger },
    });
  });
  afterAll(() => h.close());

  it("refuses to start without a session: 401 and one error event", async () => {
    const sub = await subscribe(h.client(clock), "subscription { ticks }");
    expect(sub.response.status).toBe(401);
    expect(sub.response.headers.get("content-type")).toContain("text/event-stream");
    const first = await sub.next();
    expect(first.event).toBe("next");
    expect(JSON.parse(first.data).errors[0].extensions).toEqual({ code: "UNAUTHENTICATED", sessionCode: "UNAUTHORISED" });
    expect((await sub.next()).event).toBe("complete");
  });

  it("refuses to start with an expired token (TRY_REFRESH_TOKEN), starts after a refresh", async () => {
    const client = h.client(clock);
    await client.gql(`mutation { signIn(userId: "sub-${transport}-exp") }`);
    now += 61_000;
    const refused = await subscribe(client, "subscription { ticks }");
    expect(refused.response.status).toBe(401);
    expect(JSON.parse((await refused.next()).data).errors[0].extensions.sessionCode).toBe("TRY_REFRESH_TOKEN");
    await refused.close();
    expect((await client.refresh()).status).toBe(200);
    const sub = await subscribe(client, "subscription { ticks }");
    expect(sub.response.status).toBe(200);
    expect(JSON.parse((await publishUntilSeen(h, sub, 1)).data)).toEqual({ data: { ticks: 1 } });
    await sub.close();
  });

  it("ends the stream when the access token expires: one last event with TRY_REFRESH_TOKEN, then complete", async () => {
    const client = h.client(clock);
    await client.gql(`mutation { signIn(userId: "sub-${transport}-live") }`);
    const sub = await subscribe(client, "subscription { ticks }");
    expect(sub.response.status).toBe(200);
    expect(JSON.parse((await publishUntilSeen(h, sub, 1)).data)).toEqual({ data: { ticks: 1 } });
    now += 61_000;
    const last = JSON.parse((await sub.next()).data);
    expect(last.errors[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", sessionCode: "TRY_REFRESH_TOKEN" });
    expect((await sub.next()).event).toBe("complete");
  });

  it("a cookie-setting call during a stream fails loudly (masked 500 event), never silently", async () => {
    const client = h.client(clock);
    await client.gql(`mutation { signIn(userId: "sub-${transport}-cookie") }`);
    const sub = await subscribe(client, "subscription { renamingTicks }");
    expect(sub.response.status).toBe(200);
    const event = JSON.parse((await publishUntilSeen(h, sub, 7)).data);
    expect(event.errors[0]).toMatchObject({ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    const reasons = logged.map((e) => String((e as { originalError?: Error }).originalError?.message ?? e));
    expect(reasons.some((m) => m.includes("the response has already been sent"))).toBe(true);
    await sub.close();
  });
});
