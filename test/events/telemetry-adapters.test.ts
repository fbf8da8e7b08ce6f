// OpenTelemetry through the adapters, a real tRPC client and Yoga: the same operation spans, query
// counts and counters as on the core API. Shared setup: telemetry-setup.ts.

import { describe, expect, it } from "vitest";
import { startHarness } from "../graphql/harness.js";
import type { DbKind, TestDb } from "../helpers/db.js";
import { otel } from "../helpers/otel.js";
import { createClient, serveApp, uniqueName } from "../trpc/harness.js";
import { attr, dbs, expectCountsAddUp, finished, kinds, named, operations, sdk, useTelemetry } from "./telemetry-setup.js";

useTelemetry([kinds[0] as DbKind]);

describe("through the adapters", () => {
  const db = () => dbs.get(kinds[0] as DbKind) as TestDb;

  it("tRPC (the example app, a real client): sign-up, a silent refresh, sign-out", async () => {
    let now = Date.parse("2026-03-01T12:00:00Z");
    const served = await serveApp("fetch", {
      db: db().db,
      sessionsOptions: { accessTokenTtl: 60, cookies: { secure: false }, now: () => now, telemetry: otel },
    });
    try {
      await sdk.collect(); // from here on
      sdk.spans.reset();
      const { trpc } = createClient(served.url, { now: () => now });
      await trpc.signUp.mutate({ name: uniqueName("otel"), password: "correct horse battery" });
      await trpc.me.query();
      now += 61_000;
      await Promise.all([trpc.me.query(), trpc.me.query()]);
      await trpc.signOut.mutate();
      expect(operations().map((s) => s.name)).toEqual(["sessionkit.createNewSession", "sessionkit.refresh", "sessionkit.revoke"]);
      for (const span of operations()) expectCountsAddUp(span);
      expect(attr(named("sessionkit.revoke")[0], "sessionkit.revocation.reason")).toBe("signOut");
      const after = await sdk.collect();
      const delta = (name: string) => after.total(name);
      expect([delta("sessionkit.sign_ins"), delta("sessionkit.refreshes"), delta("sessionkit.revocations")]).toEqual([1, 1, 1]);
      expect(delta("sessionkit.token_cache.hits")).toBeGreaterThanOrEqual(2);
      expect(delta("sessionkit.token_cache.misses")).toBeGreaterThanOrEqual(1); // the expired token
    } finally {
      await served.close();
    }
  });

  it("GraphQL (Yoga with useSessions): sign-in mutation, the refresh route, sign-out mutation", async () => {
    let now = Date.parse("2026-03-01T12:00:00Z");
    const harness = await startHarness(db(), { transport: "http", sessions: { accessTokenTtl: 60, now: () => now, telemetry: otel } });
    try {
      sdk.spans.reset();
      const client = harness.client(() => now);
      await client.gql('mutation { signIn(userId: "otel-gql") }');
      now += 61_000;
      expect((await client.gql("{ me }")).status).toBe(401);
      expect((await client.refresh()).status).toBe(200);
      expect((await client.gql("{ me }")).body.data).toEqual({ me: "otel-gql" });
      expect((await client.gql("mutation { signOut }")).body.data).toEqual({ signOut: true });
      expect(operations().map((s) => s.name)).toEqual(["sessionkit.createNewSession", "sessionkit.refresh", "sessionkit.revoke"]);
      for (const span of operations()) expectCountsAddUp(span);
      expect(finished().filter((s) => s.name.startsWith("sessionkit.store.")).length).toBeGreaterThanOrEqual(3);
    } finally {
      await harness.close();
    }
  });
});
