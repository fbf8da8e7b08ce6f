// The notify listener's outage in the log: one drop line with its cause, no line per failed
// reconnect (rate-limited repeats), and one recovery line with the outage's length. In 0.1 a
// drop printed the same causeless line about 8 times in 11 s and never said it was over.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutageLog, REPEAT_EVERY_MS } from "../../src/core/outage-log.js";
import { testClock } from "../helpers/clock.js";
import { DATABASE_URL, type TestDb, createTestDb } from "../helpers/db.js";
import { type Instance, fastTimings, openInstance, requestFrom, uniqueChannel, until, waitLive } from "../concurrency/instances.js";
import { type Proxy, startProxy } from "../concurrency/proxy.js";

describe.skipIf(!DATABASE_URL)("a real listener outage on postgres.js (needs DATABASE_URL: PGlite has no connection to lose)", () => {
  let db: TestDb;
  let proxy: Proxy;
  let b: Instance | undefined;
  beforeAll(async () => {
    db = await createTestDb("postgres");
    const url = new URL(DATABASE_URL as string);
    proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) });
  });
  afterAll(async () => {
    await b?.close();
    await proxy?.close();
    await db?.close();
  });

  it("logs the drop once with its cause, stays quiet through the failed reconnects, and says when it is back", async () => {
    const warnings: string[] = [];
    b = openInstance(
      db,
      "outage",
      { revocation: "notify", notifyChannel: uniqueChannel(), antiCsrf: "none" },
      { timings: fastTimings, clientOptions: { host: "127.0.0.1", port: proxy.port }, onWarning: (m) => warnings.push(m) },
    );
    const headers = new Headers();
    await b.sessions.createNewSession({ userId: "outage" }, headers);
    await waitLive(b, requestFrom(headers));
    expect(warnings).toEqual([]);

    // A partition of the listener, then every reconnect refused for a while.
    proxy.refuseListeners = true;
    const cutAt = Date.now();
    proxy.freezeListeners();
    await until(() => warnings.length > 0, 5000, "the drop to be noticed");
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() - cutAt))); // ~6 refused reconnects at 50-200 ms backoff
    proxy.refuseListeners = false;
    await until(() => warnings.length > 1, 5000, "the recovery line");
    const outage = Date.now() - cutAt;
    console.log(warnings.join("\n"));

    expect(warnings).toHaveLength(2);
    expect(warnings[0]).not.toContain("sessionkit: sessionkit:");
    expect(warnings[0]).toBe(
      "sessionkit: the revocation listener dropped: the listener heartbeat took longer than 300 ms; checking the store on every request until it is back",
    );
    // How many reconnects fail depends on the driver's own connect retries: the count shows when there were any.
    const back =
      /^sessionkit: the revocation listener is back after (\d+\.\d) s down(?: \(\d+ failed attempts? to reconnect\))?; verifications need no store call again$/.exec(
        warnings[1] ?? "",
      );
    expect(back, warnings[1]).not.toBeNull();
    expect(Number(back?.[1]) * 1000).toBeLessThanOrEqual(outage + 100);
    expect(Number(back?.[1])).toBeGreaterThanOrEqual(0.5);
  });
});

describe("the outage log's rate limit (injected clock)", () => {
  it("one drop line, one 'still down' line per minute however many attempts fail, one 'back' line", () => {
    const clock = testClock();
    const lines: string[] = [];
    const log = new OutageLog((m) => lines.push(m), clock.now);
    log.dropped("the revocation listener dropped", new Error("the LISTEN connection closed"));
    for (let i = 0; i < 200; i++) {
      clock.advance(1000); // a failed reconnect every second for 200 s
      log.dropped("the revocation listener dropped", new Error("connect ECONNREFUSED 127.0.0.1:5432"));
    }
    log.recovered();
    log.recovered(); // not down any more: nothing to say
    expect(lines).toEqual([
      "sessionkit: the revocation listener dropped: the LISTEN connection closed; checking the store on every request until it is back",
      "sessionkit: the revocation listener is still down after 60 s (60 failed attempts to reconnect; the last: connect ECONNREFUSED 127.0.0.1:5432)",
      "sessionkit: the revocation listener is still down after 120 s (120 failed attempts to reconnect; the last: connect ECONNREFUSED 127.0.0.1:5432)",
      "sessionkit: the revocation listener is still down after 180 s (180 failed attempts to reconnect; the last: connect ECONNREFUSED 127.0.0.1:5432)",
      "sessionkit: the revocation listener is back after 200 s down (200 failed attempts to reconnect); verifications need no store call again",
    ]);
    expect(REPEAT_EVERY_MS).toBe(60_000);
  });
});
