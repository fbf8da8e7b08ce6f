// Lifecycle events through the adapters, as users wire them: the tRPC example over HTTP with a
// real client (sign-up, silent refresh through sessionRefreshLink, sign-out) and Yoga (sign-in
// mutation, the refresh route inside the plugin, sign-out mutation): each event exactly once.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineOf } from "../../src/core/internal.js";
import type { SessionEvent, SessionEventName, SessionHooks } from "../../src/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { startHarness } from "../graphql/harness.js";
import { createClient, serveApp, uniqueName } from "../trpc/harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.close());

function recorder() {
  const events: { name: SessionEventName; event: SessionEvent }[] = [];
  const on: SessionHooks = {};
  for (const name of ["created", "refreshed", "revoked", "theft"] as const) on[name] = (event) => void events.push({ name, event });
  return { events, on, names: () => events.map((e) => `${e.name}${e.event.reason ? `:${e.event.reason}` : ""}`) };
}

describe("tRPC (the example app over HTTP, a real client)", () => {
  it("sign-up, a silent refresh after expiry, sign-out: created, refreshed, revoked once each", async () => {
    let now = Date.parse("2026-03-01T12:00:00Z");
    const rec = recorder();
    const served = await serveApp("fetch", {
      db: db.db,
      sessionsOptions: { accessTokenTtl: 60, cookies: { secure: false }, now: () => now, on: rec.on },
    });
    try {
      const { trpc } = createClient(served.url, { now: () => now });
      const name = uniqueName("ev");
      await trpc.signUp.mutate({ name, password: "correct horse battery" });
      now += 61_000;
      // Two calls at once after expiry: one refresh through the link, so one event.
      await Promise.all([trpc.me.query(), trpc.me.query()]);
      await trpc.signOut.mutate();
      await engineOf(served.app.sessions).events.settled();
      expect(rec.names()).toEqual(["created", "refreshed", "revoked:signOut"]);
      const [created] = rec.events;
      expect(created?.event.userAgent).toBe("node"); // Node's fetch sends "node"; the adapter passes the request
      expect(new Set(rec.events.map((e) => e.event.handle)).size).toBe(1);
    } finally {
      await served.close();
    }
  });
});

describe("GraphQL (Yoga with useSessions)", () => {
  it("sign-in mutation, the refresh route, sign-out mutation: created, refreshed, revoked once each", async () => {
    let now = Date.parse("2026-03-01T12:00:00Z");
    const rec = recorder();
    const harness = await startHarness(db, { transport: "http", sessions: { accessTokenTtl: 60, now: () => now, on: rec.on } });
    try {
      const client = harness.client(() => now);
      const signIn = await client.gql<{ signIn: string }>('mutation { signIn(userId: "gql-ev") }');
      const handle = signIn.body.data?.signIn;
      now += 61_000;
      expect((await client.gql("{ me }")).status).toBe(401);
      expect((await client.refresh()).status).toBe(200);
      expect((await client.gql("{ me }")).body.data).toEqual({ me: "gql-ev" });
      expect((await client.gql("mutation { signOut }")).body.data).toEqual({ signOut: true });
      await engineOf(harness.sessions).events.settled();
      expect(rec.names()).toEqual(["created", "refreshed", "revoked:signOut"]);
      expect(rec.events.every((e) => e.event.handle === handle && e.event.userId === "gql-ev")).toBe(true);
    } finally {
      await harness.close();
    }
  });
});
