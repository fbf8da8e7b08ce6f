// An instance made before the OpenTelemetry SDK was registered records nothing and wraps nothing,
// and a telemetry option that is not the API module is refused. Shared setup: telemetry-setup.ts.

import { describe, expect, it } from "vitest";
import { engineOf } from "../../src/core/internal.js";
import { type Sessions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import type { DbKind, TestDb } from "../helpers/db.js";
import { otel } from "../helpers/otel.js";
import { dbs, finished, kinds, sdk, useTelemetry } from "./telemetry-setup.js";

// Made before the SDK is registered: it must stay inert for good.
let early: { sessions: Sessions; store: unknown; db: TestDb };
useTelemetry([kinds[0] as DbKind], (db) => {
  const store = drizzleStore(db.db);
  early = { sessions: createSessions({ store, cookies: { secure: false }, telemetry: otel }), store, db };
  return early.sessions;
});

describe("without an SDK at createSessions", () => {
  it("records nothing and leaves the store unwrapped, even once an SDK is registered later", async () => {
    expect(engineOf(early.sessions).options.store).toBe(early.store);
    expect(engineOf(early.sessions).telemetry.active).toBe(false);
    await sdk.collect(); // from here on
    sdk.spans.reset();
    const app = createTestApp(early.sessions);
    const client = new TestClient(app);
    expect((await client.call("/login", { body: { userId: "otel-early" } })).status).toBe(200);
    expect((await client.call("/me")).status).toBe(200);
    expect((await client.refresh()).status).toBe(200);
    expect((await client.call("/auth/signout", { method: "POST" })).status).toBe(200);
    expect(finished()).toEqual([]);
    const after = await sdk.collect();
    for (const name of [
      "sessionkit.sign_ins",
      "sessionkit.refreshes",
      "sessionkit.revocations",
      "sessionkit.token_cache.hits",
      "sessionkit.store.duration",
    ])
      expect(after.total(name)).toBe(0);
  });

  it("refuses a telemetry option that is not the @opentelemetry/api module", () => {
    const db = dbs.get(kinds[0] as DbKind) as TestDb;
    expect(() => createSessions({ store: drizzleStore(db.db), telemetry: {} as never })).toThrow(
      /sessionkit: telemetry must be the @opentelemetry\/api module/,
    );
    expect(() => createSessions({ store: drizzleStore(db.db), telemetri: otel } as never)).toThrow(/did you mean "telemetry"/);
  });
});
