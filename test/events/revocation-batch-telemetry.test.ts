// Telemetry of coalesced revocations (revocation "notify", src/core/revocation-batch.ts): six
// concurrent revokeSession calls make two writes, the first alone (its statement inside its
// caller's span, as ever) and one for the five that queued behind it. That write has its own root
// span, `sessionkit.revoke.batch` (batch_size 5, the store's revokeHandles span its child), linked
// to each of the five callers' `sessionkit.revoke` spans, and each of those records batch_size 5
// and links back. No attribute holds a handle, a token or a key. When the shared write fails, the
// batch span records the error's kind (`error.type`, here the SQLSTATE), never the driver's message.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sessions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { testClock } from "../helpers/clock.js";
import { type DbKind, DATABASE_URL, type TestDb, createTestDb } from "../helpers/db.js";
import { type ReadableSpan, childrenOf, otel, registerOtel } from "../helpers/otel.js";

const kinds: DbKind[] = DATABASE_URL ? ["postgres", "pglite"] : ["pglite"];
let sdk: ReturnType<typeof registerOtel>;
beforeAll(() => {
  sdk = registerOtel();
});
afterAll(async () => {
  await sdk?.shutdown();
});

const id = (s: ReadableSpan) => s.spanContext().spanId;

describe.each(kinds)("coalesced revocations on %s", (kind) => {
  let db: TestDb;
  let sessions: Sessions;

  beforeAll(async () => {
    db = await createTestDb(kind);
    const channel = `sk_otel_batch_${kind.replace("-", "_")}_${process.pid}`;
    sessions = createSessions({
      store: drizzleStore(db.db),
      cookies: { secure: false },
      revocation: "notify",
      notifyChannel: channel,
      now: testClock().now,
      telemetry: otel,
    });
  });
  afterAll(async () => {
    await sessions?.close();
    await db?.close();
  });

  it("each caller's span records the batch of N it was part of, linked both ways to the batch's statement span", async () => {
    const secrets: string[] = [];
    const handles: string[] = [];
    for (let i = 0; i < 6; i++) {
      const headers = new Headers();
      handles.push((await sessions.createNewSession({ userId: `batch-${kind}-${i}` }, headers)).getHandle());
      for (const line of headers.getSetCookie()) secrets.push(line.slice(line.indexOf("=") + 1, line.indexOf(";")));
    }
    sdk.spans.reset();
    expect(await Promise.all(handles.map((h) => sessions.revokeSession(h)))).toEqual(handles.map(() => true));

    const spans = sdk.spans.getFinishedSpans();
    const revokes = spans.filter((s) => s.name === "sessionkit.revoke");
    const batches = spans.filter((s) => s.name === "sessionkit.revoke.batch");
    expect(revokes).toHaveLength(6);
    expect(batches).toHaveLength(1);
    const batch = batches[0] as ReadableSpan;
    expect(batch.parentSpanContext).toBeUndefined();
    expect(batch.attributes).toMatchObject({ "sessionkit.revocation.batch_size": 5, "sessionkit.queries": 1 });
    expect(childrenOf(spans, batch).map((s) => s.name)).toEqual(["sessionkit.store.revokeHandles"]);

    const batched = revokes.filter((s) => s.attributes["sessionkit.revocation.batch_size"] !== undefined);
    const alone = revokes.filter((s) => s.attributes["sessionkit.revocation.batch_size"] === undefined);
    expect(batched).toHaveLength(5);
    expect(alone).toHaveLength(1);
    // The lone write is the single statement, inside its caller's span, as before.
    expect(childrenOf(spans, alone[0] as ReadableSpan).map((s) => s.name)).toEqual(["sessionkit.store.revoke"]);
    for (const span of batched) {
      expect(span.attributes).toMatchObject({ "sessionkit.revocation.batch_size": 5, "sessionkit.revocation.sessions": 1 });
      expect(span.links.map((l) => l.context.spanId)).toEqual([id(batch)]);
      expect(childrenOf(spans, span)).toEqual([]);
    }
    expect(batch.links.map((l) => l.context.spanId).sort()).toEqual(batched.map(id).sort());

    // Counts and kinds only: no handle, token or key in any attribute or link attribute.
    const values = spans.flatMap((s) => [...Object.values(s.attributes), ...s.links.flatMap((l) => Object.values(l.attributes ?? {}))]);
    for (const value of values.map(String)) {
      for (const secret of [...handles, ...secrets]) expect(value.includes(secret)).toBe(false);
    }
  });
  it("a failed shared write: the batch span records error.type (the SQLSTATE) and status ERROR, never the driver's message", async () => {
    const handles: string[] = [];
    for (let i = 0; i < 6; i++)
      handles.push((await sessions.createNewSession({ userId: `batch-fail-${kind}-${i}` }, new Headers())).getHandle());
    // A real failure of the statement: a trigger that refuses every DELETE, with a message a
    // span must not carry.
    await db.exec(`CREATE FUNCTION sk_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused: secret-detail-%', 42 USING ERRCODE = 'P0001'; END $$`);
    await db.exec(
      "CREATE TRIGGER sk_refuse_delete BEFORE DELETE ON sessionkit_sessions FOR EACH STATEMENT EXECUTE FUNCTION sk_refuse_delete()",
    );
    try {
      sdk.spans.reset();
      const results = await Promise.allSettled(handles.map((h) => sessions.revokeSession(h)));
      expect(results.map((r) => r.status)).toEqual(handles.map(() => "rejected"));
    } finally {
      await db.exec("DROP TRIGGER sk_refuse_delete ON sessionkit_sessions");
      await db.exec("DROP FUNCTION sk_refuse_delete()");
    }
    const spans = sdk.spans.getFinishedSpans();
    const batches = spans.filter((s) => s.name === "sessionkit.revoke.batch");
    expect(batches).toHaveLength(1);
    const batch = batches[0] as ReadableSpan;
    expect(batch.attributes).toMatchObject({ "sessionkit.revocation.batch_size": 5, "error.type": "P0001" });
    expect(batch.status).toEqual({ code: 2, message: "P0001" });
    for (const span of spans) {
      expect(JSON.stringify([span.attributes, span.status, span.events])).not.toContain("secret-detail");
    }
  });
});
