// OpenTelemetry with the SDK's in-memory exporters, on Postgres and PGlite: spans for sign-in,
// refresh, revocation and store calls (query counts equal to the statements the driver sent),
// counters, the store histogram, the listener gauges, and error status on failures. Shared setup:
// telemetry-setup.ts.

import { beforeAll, describe, expect, it } from "vitest";
import { engineOf } from "../../src/core/internal.js";
import type { TestDb } from "../helpers/db.js";
import { type ReadableSpan, childrenOf, otel } from "../helpers/otel.js";
import { uniqueName } from "../trpc/harness.js";
import { attr, dbs, expectCountsAddUp, finished, instance, kinds, named, operations, sdk, twin, useTelemetry } from "./telemetry-setup.js";

useTelemetry(kinds);

describe.each(kinds)("spans and metrics on %s", (kind) => {
  let db: TestDb;
  beforeAll(() => {
    db = dbs.get(kind) as TestDb;
  });

  it("sign-in, verification, refresh, sign-out: one span each, query counts equal to the statements sent", async () => {
    const t = instance(db);
    try {
      await sdk.collect(); // from here on
      sdk.spans.reset();
      db.queries.reset();
      const client = t.client();
      expect((await client.call("/login", { body: { userId: "otel-core" } })).status).toBe(200);
      const signInStatements = db.queries.count;
      const [signIn] = named("sessionkit.createNewSession");
      expect(signIn?.attributes).toMatchObject({ "sessionkit.transfer": "cookie", "sessionkit.queries": signInStatements });
      // The first sign-in of an instance loads (and here creates) the keys, inside its span.
      expect(signInStatements).toBeGreaterThanOrEqual(2);
      expectCountsAddUp(signIn as ReadableSpan);
      expect(childrenOf(finished(), signIn as ReadableSpan).map((s) => s.name)).toContain("sessionkit.store.createSession");

      // Verification: cached since sign-in, no span, no query.
      sdk.spans.reset();
      db.queries.reset();
      for (let i = 0; i < 3; i++) expect((await client.call("/me")).status).toBe(200);
      expect(finished()).toEqual([]);
      expect(db.queries.count).toBe(0);

      db.queries.reset();
      expect((await client.refresh()).status).toBe(200);
      const [refresh] = named("sessionkit.refresh");
      expect(refresh?.attributes).toMatchObject({ "sessionkit.refresh.grace": false, "sessionkit.queries": db.queries.count });
      expect(expectCountsAddUp(refresh as ReadableSpan)).toBe(1); // the one rotation statement
      expect(refresh?.status.code).toBe(otel.SpanStatusCode.UNSET);

      db.queries.reset();
      expect((await client.call("/auth/signout", { method: "POST" })).status).toBe(200);
      const [revoke] = named("sessionkit.revoke");
      expect(revoke?.attributes).toMatchObject({
        "sessionkit.revocation.by": "handle",
        "sessionkit.revocation.reason": "signOut",
        "sessionkit.revocation.sessions": 1,
        "sessionkit.queries": 1,
      });
      expect(db.queries.count).toBe(1);
      expect(operations().map((s) => s.name)).toEqual(["sessionkit.refresh", "sessionkit.revoke"]);

      const after = await sdk.collect();
      const delta = (name: string, attributes?: Record<string, unknown>) => after.total(name, attributes);
      expect(delta("sessionkit.sign_ins")).toBe(1);
      expect(delta("sessionkit.refreshes", { "sessionkit.refresh.grace": false })).toBe(1);
      expect(delta("sessionkit.revocations", { "sessionkit.revocation.reason": "signOut" })).toBe(1);
      expect(delta("sessionkit.thefts")).toBe(0);
      // /me three times on the token signed at sign-in; the sign-out request verified the refreshed one.
      expect(delta("sessionkit.token_cache.hits")).toBe(4);
      expect(delta("sessionkit.token_cache.misses")).toBe(0);
      expect(delta("sessionkit.store.duration", { "sessionkit.store.method": "rotateRefresh" })).toBe(1);
      expect(delta("sessionkit.store.duration", { "sessionkit.store.method": "revoke" })).toBe(1);
      expect(delta("sessionkit.store.duration")).toBe(signInStatements + 2);
      const [rotation] = after.points("sessionkit.store.duration", { "sessionkit.store.method": "rotateRefresh" });
      expect((rotation?.value as { sum: number } | undefined)?.sum).toBeGreaterThan(0);
    } finally {
      await t.sessions.close();
    }
  });

  it("a token this instance did not sign is a cache miss, then a hit", async () => {
    const signer = instance(db);
    const other = instance(db);
    try {
      const client = signer.client();
      await client.call("/login", { body: { userId: "otel-cache" } });
      await sdk.collect(); // from here on
      const elsewhere = twin(other, client);
      expect((await elsewhere.call("/me")).status).toBe(200);
      expect((await elsewhere.call("/me")).status).toBe(200);
      const after = await sdk.collect();
      expect(after.total("sessionkit.token_cache.misses")).toBe(1);
      expect(after.total("sessionkit.token_cache.hits")).toBe(1);
    } finally {
      await Promise.all([signer.sessions.close(), other.sessions.close()]);
    }
  });

  it("five tabs refreshing in the grace window, then theft: spans, outcomes and counters exact", async () => {
    const t = instance(db);
    try {
      const client = t.client();
      await client.call("/login", { body: { userId: "otel-theft" } });
      const thief = twin(t, client);
      const tabs = Array.from({ length: 5 }, () => twin(t, client));
      await sdk.collect(); // from here on
      sdk.spans.reset();
      expect((await Promise.all(tabs.map((tab) => tab.refresh()))).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const refreshes = named("sessionkit.refresh");
      expect(refreshes.map((s) => attr(s, "sessionkit.refresh.grace")).sort()).toEqual([false, true, true, true, true]);
      for (const span of refreshes) expectCountsAddUp(span);

      t.clock.advance(11_000);
      sdk.spans.reset();
      expect((await thief.refresh()).status).toBe(401);
      const [stolen] = named("sessionkit.refresh");
      expect(stolen?.status).toMatchObject({ code: otel.SpanStatusCode.ERROR });
      expect(stolen?.status.message).toMatch(/^TOKEN_THEFT_DETECTED: /);
      expect(attr(stolen, "error.type")).toBe("TOKEN_THEFT_DETECTED");
      const [revoke] = childrenOf(finished(), stolen as ReadableSpan).filter((s) => s.name === "sessionkit.revoke");
      expect(revoke?.attributes).toMatchObject({ "sessionkit.revocation.reason": "theft", "sessionkit.revocation.sessions": 1 });
      // The rotation statement, then the revocation's (counted in the refresh span through its child).
      expect(attr(stolen, "sessionkit.queries")).toBe(2);

      const after = await sdk.collect();
      const delta = (name: string, attributes?: Record<string, unknown>) => after.total(name, attributes);
      expect(delta("sessionkit.refreshes", { "sessionkit.refresh.grace": false })).toBe(1);
      expect(delta("sessionkit.refreshes", { "sessionkit.refresh.grace": true })).toBe(4);
      expect(delta("sessionkit.refreshes", { "error.type": "TOKEN_THEFT_DETECTED" })).toBe(1);
      expect(delta("sessionkit.thefts")).toBe(1);
      expect(delta("sessionkit.revocations", { "sessionkit.revocation.reason": "theft" })).toBe(1);
    } finally {
      await t.sessions.close();
    }
  });

  it("revocation by handle and by user: one span per call, the counter per session", async () => {
    const t = instance(db);
    try {
      const user = uniqueName("otel-rev");
      const handles: string[] = [];
      for (let i = 0; i < 3; i++) {
        const reply = await t.client().call("/login", { body: { userId: user } });
        handles.push(((await reply.json()) as { handle: string }).handle);
      }
      await sdk.collect(); // from here on
      sdk.spans.reset();
      expect(await t.sessions.revokeSession(handles[0] as string)).toBe(true);
      expect(await t.sessions.revokeSession(handles[0] as string)).toBe(false);
      expect((await t.sessions.revokeAllSessionsForUser(user)).length).toBe(2);
      expect(
        named("sessionkit.revoke").map((s) => [attr(s, "sessionkit.revocation.by"), attr(s, "sessionkit.revocation.sessions")]),
      ).toEqual([
        ["handle", 1],
        ["handle", 0],
        ["user", 2],
      ]);
      const after = await sdk.collect();
      const delta = (reason: string) => after.total("sessionkit.revocations", { "sessionkit.revocation.reason": reason });
      expect([delta("revokedByHandle"), delta("revokedByUser")]).toEqual([1, 2]);
    } finally {
      await t.sessions.close();
    }
  });

  it("a failing store call: error status and kind on the store span and its operation, no driver text", async () => {
    const t = instance(db, { onWarning: () => {} });
    let away = false;
    try {
      const client = t.client();
      await client.call("/login", { body: { userId: "otel-outage" } });
      await db.exec("ALTER TABLE sessionkit_sessions RENAME TO sessionkit_sessions_away");
      away = true;
      await sdk.collect(); // from here on
      sdk.spans.reset();
      expect((await client.refresh()).status).toBe(500);
      const [refresh] = named("sessionkit.refresh");
      expect(refresh?.status).toEqual({ code: otel.SpanStatusCode.ERROR, message: "GENERAL_ERROR: sessionkit: the session store failed" });
      expect(attr(refresh, "error.type")).toBe("GENERAL_ERROR");
      const [rotate] = named("sessionkit.store.rotateRefresh");
      expect(rotate?.status).toEqual({ code: otel.SpanStatusCode.ERROR, message: "42P01" });
      expect(attr(rotate, "error.type")).toBe("42P01");
      const after = await sdk.collect();
      expect(after.total("sessionkit.store.duration", { "sessionkit.store.method": "rotateRefresh", "error.type": "42P01" })).toBe(1);
      expect(after.total("sessionkit.refreshes", { "error.type": "GENERAL_ERROR" })).toBe(1);
    } finally {
      if (away) await db.exec("ALTER TABLE sessionkit_sessions_away RENAME TO sessionkit_sessions");
      await t.sessions.close();
    }
  });

  it('revocation "notify": the listener gauge is 1 once caught up, the lag is observed on Postgres, nothing after close', async () => {
    const t = instance(db, { revocation: "notify", notifyChannel: `sk_otel_${kind}_${process.pid}`, notifyHeartbeatMs: 50 });
    let closed = false;
    try {
      await expect.poll(() => engineOf(t.sessions).revocation.live?.(), { timeout: 10_000 }).toBe(true);
      const snapshot = await sdk.collect();
      expect(snapshot.gauge("sessionkit.notify.listening")).toBe(1);
      if (kind === "postgres") {
        await expect.poll(async () => (await sdk.collect()).gauge("sessionkit.notify.lag"), { timeout: 5000 }).toBeGreaterThan(0);
        const lag = (await sdk.collect()).gauge("sessionkit.notify.lag") as number;
        console.log(`${kind}: notify lag gauge ${(lag * 1000).toFixed(2)} ms`);
        expect(lag).toBeLessThan(1);
      } else {
        // PGlite's in-process listener sends no probe: no lag to report.
        expect(snapshot.gauge("sessionkit.notify.lag")).toBeUndefined();
      }
      await t.sessions.close();
      closed = true;
      expect((await sdk.collect()).gauge("sessionkit.notify.listening")).toBeUndefined();
    } finally {
      if (!closed) await t.sessions.close();
    }
  });
});
