// A store outage through Yoga: HTTP 500, never 401; the message is masked (nothing internal
// leaks) while Yoga's logger gets the original error; public fields keep answering.
// The outage is real: the sessions table is renamed away underneath the running server.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { type GraphqlClient, type Harness, startHarness } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

let down = false;
async function outage(): Promise<void> {
  await db.exec("ALTER TABLE sessionkit_sessions RENAME TO sessionkit_sessions_away");
  down = true;
}
afterEach(async () => {
  if (down) await db.exec("ALTER TABLE sessionkit_sessions_away RENAME TO sessionkit_sessions");
  down = false;
});

const logged: unknown[] = [];
const logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (...args: unknown[]) => logged.push(...args),
};

let seq = 0;
async function signedIn(h: Harness): Promise<GraphqlClient> {
  const client = h.client();
  const reply = await client.gql("mutation ($u: String!) { signIn(userId: $u) }", { u: `outage-${++seq}` });
  expect(reply.status).toBe(200);
  return client;
}

/** Nothing of the database error or of sessionkit's internals reaches the client. */
function expectNoLeak(text: string): void {
  expect(text).not.toMatch(/sessionkit_|relation|does not exist|store failed|SessionError|stack|ALTER/i);
}

describe.each(["http", "fetch"] as const)("store outage over %s", (transport) => {
  let checked: Harness;
  let trusting: Harness;
  beforeAll(async () => {
    checked = await startHarness(db, {
      transport,
      sessions: { revocation: "check-database", onWarning: () => {} },
      yoga: { logging: logger },
    });
    trusting = await startHarness(db, { transport, sessions: { onWarning: () => {} }, yoga: { logging: logger } });
  });
  afterAll(async () => {
    await checked.close();
    await trusting.close();
  });

  it("session lookup fails (check-database): @auth field is a masked 500, public fields answer", async () => {
    const client = await signedIn(checked);
    await outage();
    logged.length = 0;
    const reply = await client.gql("{ hello secret { value } }");
    const text = JSON.stringify(reply.body);
    expect(reply.status).toBe(500);
    expect(reply.body.data).toEqual({ hello: "world", secret: null });
    expect(reply.body.errors).toEqual([
      expect.objectContaining({ message: "Unexpected error.", path: ["secret", "value"], extensions: { code: "INTERNAL_SERVER_ERROR" } }),
    ]);
    expectNoLeak(text);
    // Never a 401 and never clearing: an outage must not log anyone out.
    expect(reply.response.headers.getSetCookie()).toEqual([]);
    expect(reply.response.headers.get("front-token")).toBeNull();
    // The server-side log keeps the real reason.
    expect(logged.some((e) => String((e as Error)?.message ?? e).includes("session store unavailable"))).toBe(true);
  });

  it("a mutation needing the session is refused whole during the outage: masked 500, nothing runs", async () => {
    const client = await signedIn(checked);
    await outage();
    const before = checked.bumps.count;
    const reply = await client.gql('mutation { bump setData(json: "{}") }');
    expect(reply.status).toBe(500);
    expect(reply.body.errors).toEqual([expect.objectContaining({ message: "Unexpected error.", path: ["setData"] })]);
    expectNoLeak(JSON.stringify(reply.body));
    expect(checked.bumps.count).toBe(before);
  });

  it("a resolver's own store call fails (getSessionData): masked 500", async () => {
    const client = await signedIn(trusting);
    await outage();
    const reply = await client.gql("{ me data }");
    // The field is nullable: partial data, and still a 500 (an outage is never a success).
    expect(reply.status).toBe(500);
    expect(reply.body.data).toEqual({ me: expect.stringMatching(/^outage-/), data: null });
    expect(reply.body.errors?.[0]).toMatchObject({ message: "Unexpected error.", path: ["data"] });
    expectNoLeak(JSON.stringify(reply.body));
  });

  it("sign-in during an outage: masked 500, no cookies", async () => {
    const client = trusting.client();
    await outage();
    const reply = await client.gql('mutation { signIn(userId: "nobody") }');
    expect(reply.status).toBe(500);
    expectNoLeak(JSON.stringify(reply.body));
    expect(reply.response.headers.getSetCookie()).toEqual([]);
  });

  it("recovers when the store is back", async () => {
    const client = await signedIn(checked);
    await outage();
    expect((await client.gql("{ me }")).status).toBe(500);
    await db.exec("ALTER TABLE sessionkit_sessions_away RENAME TO sessionkit_sessions");
    down = false;
    expect((await client.gql("{ me }")).status).toBe(200);
  });
});

describe("store outage with maskedErrors: false", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db, {
      transport: "fetch",
      sessions: { revocation: "check-database", onWarning: () => {} },
      yoga: { maskedErrors: false },
    });
  });
  afterAll(() => h.close());

  it("still answers 500 with a fixed, secret-free message", async () => {
    const client = await signedIn(h);
    await outage();
    const reply = await client.gql("{ me }");
    expect(reply.status).toBe(500);
    expect(reply.body.errors?.[0]).toMatchObject({
      message: "session store unavailable",
      extensions: { code: "INTERNAL_SERVER_ERROR", sessionCode: "GENERAL_ERROR" },
    });
    expect(JSON.stringify(reply.body)).not.toMatch(/relation|does not exist|sessionkit_/);
  });
});
