// close() while the notify listener is still starting (LISTEN sent, its first probe not yet
// heard) ends at once: stopping the listener also ends what its start waits for. Before, a close
// in that window waited out listenTimeoutMs (10 s by default) on postgres.js and node-postgres.
// The listen timeout here is 60 s, past the test's own 30 s: the old behaviour fails the test.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { fastTimings, openInstance, uniqueChannel } from "./instances.js";

describe.each(availableKinds)("close() during the listener's start on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("does not wait for the listen timeout", { timeout: 30_000 }, async () => {
    const timings = { ...fastTimings, listenTimeoutMs: 60_000 };
    for (let i = 0; i < 5; i++) {
      const instance = openInstance(db, `close${i}`, { revocation: "notify", notifyChannel: uniqueChannel() }, { timings });
      // A turn of the event loop (i > 0) lets the start reach a later step: LISTEN, then the probe.
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, i * 2));
      await instance.close();
      expect(instance.warnings.filter((w) => !/closed|stopped/.test(w))).toEqual([]);
    }
  });
});
