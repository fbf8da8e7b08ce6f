// Shared by the telemetry-*.test.ts files (OpenTelemetry with the SDK's in-memory exporters): the
// file's databases and its SDK, an instance with its app and clients, and readers of the finished
// spans. No token, key, payload or session data may reach a span or a metric.

import { afterAll, beforeAll, expect } from "vitest";
import { type CreateSessionsOptions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type DbKind, DATABASE_URL, type TestDb, createTestDb } from "../helpers/db.js";
import { type ReadableSpan, childrenOf, otel, registerOtel } from "../helpers/otel.js";

export const kinds: DbKind[] = DATABASE_URL ? ["postgres", "pglite"] : ["pglite"];
export const dbs = new Map<DbKind, TestDb>();
export let sdk: ReturnType<typeof registerOtel>;

/**
 * Opens a database of each kind in `wanted` and registers the SDK for the test file. `beforeSdk`
 * runs on the first of them before the SDK is registered (an instance made then must stay inert);
 * what it returns is closed first at the end.
 */
export function useTelemetry(wanted: DbKind[], beforeSdk?: (db: TestDb) => { close(): Promise<void> }) {
  let early: { close(): Promise<void> } | undefined;
  beforeAll(async () => {
    for (const kind of wanted) dbs.set(kind, await createTestDb(kind));
    if (beforeSdk) early = beforeSdk(dbs.get(wanted[0] as DbKind) as TestDb);
    sdk = registerOtel();
  });
  afterAll(async () => {
    await early?.close();
    await sdk?.shutdown();
    for (const db of dbs.values()) await db.close();
  });
}

export function instance(db: TestDb, options: Partial<CreateSessionsOptions> = {}) {
  const clock = testClock();
  const sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false }, now: clock.now, telemetry: otel, ...options });
  const app = createTestApp(sessions);
  return { sessions, clock, client: () => new TestClient(app, clock.now) };
}

/** Another client (a second tab, a thief) holding the same cookies. */
export function twin(t: ReturnType<typeof instance>, client: TestClient): TestClient {
  const other = t.client();
  for (const [name, path] of [
    ["sAccessToken", "/"],
    ["sRefreshToken", "/auth/session/refresh"],
  ] as const) {
    const value = client.jar.get(name);
    if (value) other.jar.set(name, value, path);
  }
  return other;
}

export const finished = () => sdk.spans.getFinishedSpans();
export const named = (name: string) => finished().filter((s) => s.name === name);
export const operations = () => finished().filter((s) => !s.name.startsWith("sessionkit.store."));
export const attr = (span: ReadableSpan | undefined, key: string) => span?.attributes[key];

/** Each operation span's query count is the sum of its store spans', and each store span is one call. */
export function expectCountsAddUp(span: ReadableSpan): number {
  const children = childrenOf(finished(), span).filter((s) => s.name.startsWith("sessionkit.store."));
  const fromChildren = children.reduce((n, s) => n + Number(attr(s, "sessionkit.queries")), 0);
  expect(attr(span, "sessionkit.queries")).toBe(fromChildren);
  return fromChildren;
}
