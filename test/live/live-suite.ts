// The set-up of the live-connection suites (trpc-ws, graphql-live): a real database, two
// instances on it with revocation "notify", and a server on the first; a revocation on the
// other must reach the first's open streams.

import { afterAll, beforeAll } from "vitest";
import type { Sessions } from "../../src/index.js";
import { type Instance, openInstance, uniqueChannel, waitLive } from "../concurrency/instances.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

/** What a live suite's tests use, filled in by its `beforeAll`. */
export interface LiveSuite<S> {
  /** The instance the server runs on. */
  server: Instance;
  /** Another instance on the same database: revocations made here reach `server` by NOTIFY. */
  other: Instance;
  live: S;
}

/**
 * Registers the hooks of a live suite: `server` and `other` (named `names`) with revocation
 * "notify" on a channel of their own, `serve(server.sessions)`, and both revocation listeners
 * live before the first test, so the timings measure notify and not the fail-closed fallback.
 */
export function liveSuite<S extends { close(): Promise<void> }>(
  names: [server: string, other: string],
  serve: (sessions: Sessions) => Promise<S>,
): LiveSuite<S> {
  const options = { revocation: "notify", notifyChannel: uniqueChannel(), cookies: { secure: false }, liveCheckIntervalMs: 50 } as const;
  const suite = {} as LiveSuite<S>;
  let db: TestDb | undefined;
  beforeAll(async () => {
    db = await createTestDb();
    suite.server = openInstance(db, names[0], options);
    suite.other = openInstance(db, names[1], options);
    suite.live = await serve(suite.server.sessions);
    const probe = new Headers();
    await suite.other.sessions.createNewSession({ userId: "probe" }, probe);
    const request = new Request("http://x/", {
      headers: {
        cookie: probe
          .getSetCookie()
          .map((l) => l.split(";")[0])
          .join("; "),
      },
    });
    await waitLive(suite.server, request);
    await waitLive(suite.other, request);
  });
  afterAll(async () => {
    await suite.live?.close();
    await suite.server?.close();
    await suite.other?.close();
    await db?.close();
  });
  return suite;
}
