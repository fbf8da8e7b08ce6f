// A deployment under attack: a real store, `createSessions` with a movable clock, the test fetch
// app, captured warnings, and genuine sessions to mutate. Free of vitest so `npm run fuzz` can
// drive the same properties outside the test runner.

import { type CreateSessionsOptions, type Sessions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import type { TestDb } from "../helpers/db.js";

/** The tokens of one real session, as a browser holding it would have them. */
export interface Genuine {
  userId: string;
  handle: string;
  accessToken: string;
  refreshToken: string;
  antiCsrf: string | undefined;
  frontToken: string | undefined;
  client: TestClient;
}

export interface Target {
  sessions: Sessions;
  app: (request: Request) => Promise<Response>;
  clock: { now: number };
  /** Everything `onWarning` received. */
  warnings: Array<{ message: string; error: unknown }>;
  /** Signs a new user in through the app and returns what the browser got. */
  login(payload?: Record<string, unknown>): Promise<Genuine>;
  /** Reads the session's tokens again from a client's jar (after a refresh). */
  tokensOf(client: TestClient): { accessToken: string; refreshToken: string };
  close(): Promise<void>;
}

export const ORIGIN = "http://localhost:3000";
export const START = Date.parse("2026-03-01T12:00:00Z");

let users = 0;
/** A user id no other test run uses, so parallel runs on one schema never collide. */
export function uniqueUser(prefix = "user"): string {
  users += 1;
  return `${prefix}-${process.pid}-${users}-${Math.random().toString(36).slice(2, 8)}`;
}

export function createTarget(db: Pick<TestDb, "db">, options: Partial<CreateSessionsOptions> = {}): Target {
  const clock = { now: START };
  const warnings: Target["warnings"] = [];
  const sessions = createSessions({
    store: drizzleStore(db.db),
    now: () => clock.now,
    onWarning: (message, error) => warnings.push({ message, error }),
    ...options,
  });
  const app = createTestApp(sessions);

  const tokensOf = (client: TestClient) => ({
    accessToken: client.jar.get("sAccessToken") ?? "",
    refreshToken: client.jar.get("sRefreshToken") ?? "",
  });

  return {
    sessions,
    app,
    clock,
    warnings,
    tokensOf,
    async login(payload) {
      const client = new TestClient(app, () => clock.now, ORIGIN);
      const userId = uniqueUser();
      const response = await client.call("/login", { body: { userId, payload } });
      if (response.status !== 200) throw new Error(`login failed with ${response.status}: ${await response.text()}`);
      const { handle } = (await response.json()) as { handle: string };
      return { userId, handle, ...tokensOf(client), antiCsrf: client.antiCsrf, frontToken: client.frontToken, client };
    },
    close: () => sessions.close(),
  };
}

/** A fetch request to the app, with exactly the headers given (nothing added). */
export function rawRequest(path: string, init: { method?: string; headers?: [string, string][]; body?: string } = {}): Request {
  const headers = new Headers();
  for (const [name, value] of init.headers ?? []) headers.append(name, value);
  const method = init.method ?? "GET";
  return new Request(`${ORIGIN}${path}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : (init.body ?? ""),
  });
}
