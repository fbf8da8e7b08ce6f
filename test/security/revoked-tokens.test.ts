// A still-unexpired access token of a revoked or deleted session, per revocation mode: refused
// with 401 UNAUTHORISED and clearing under "check-database" and "notify" (also when another
// instance revoked it), accepted until expiry under "none" as the model says.

import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RevocationMode } from "../../src/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { clearsSession } from "./oracle.js";
import { guardProcess } from "./process-guard.js";
import { type Genuine, type Target, createTarget, rawRequest } from "./target.js";

guardProcess();

let db: TestDb;
const opened: Target[] = [];
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  for (const t of opened) await t.close();
  await db?.close();
});

/** Two instances of one deployment on one store: `a` serves the user, `b` is another process. */
function pair(revocation: RevocationMode): { a: Target; b: Target } {
  const a = createTarget(db, { revocation });
  const b = createTarget(db, { revocation });
  opened.push(a, b);
  return { a, b };
}

/** Polls until the token is refused (NOTIFY is asynchronous), with a deadline. */
async function refusedWithin(user: Genuine, ms: number): Promise<Response> {
  const deadline = Date.now() + ms;
  for (;;) {
    const response = await user.client.call("/me");
    if (response.status !== 200 || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function expectRevokedAnswer(response: Response) {
  expect(response.status).toBe(401);
  expect(((await response.json()) as { code: string }).code).toBe("UNAUTHORISED");
  expect(clearsSession(response)).toBe(true);
}

for (const mode of ["check-database", "notify"] as const) {
  describe(`revocation "${mode}"`, () => {
    it("a session revoked on another instance is refused at once, with clearing", async () => {
      const { a, b } = pair(mode);
      const user = await a.login();
      expect((await user.client.call("/me")).status).toBe(200);
      expect(await b.sessions.revokeSession(user.handle)).toBe(true);
      await expectRevokedAnswer(await refusedWithin(user, 2000));
    });

    it("every session of a user revoked on another instance is refused", async () => {
      const { a, b } = pair(mode);
      const first = await a.login();
      const second = await a.login();
      // Give the second session the first one's user: sign in again as that user.
      const again = await second.client.call("/login", { body: { userId: first.userId } });
      expect(again.status).toBe(200);
      const revoked = await b.sessions.revokeAllSessionsForUser(first.userId);
      expect(revoked.length).toBe(2);
      await expectRevokedAnswer(await refusedWithin(first, 2000));
      await expectRevokedAnswer(await refusedWithin(second, 2000));
    });

    it("a session revoked on this instance is refused at once", async () => {
      const { a } = pair(mode);
      const user = await a.login();
      await a.sessions.revokeSession(user.handle);
      await expectRevokedAnswer(await user.client.call("/me"));
    });

    it("the revoked session cannot refresh or sign out either", async () => {
      const { a, b } = pair(mode);
      const user = await a.login();
      await b.sessions.revokeSession(user.handle);
      const refresh = await user.client.refresh();
      expect(refresh.status).toBe(401);
      expect(await refresh.json()).toEqual({ message: "unauthorised" });
      expect(clearsSession(refresh)).toBe(true);
      const signout = async () =>
        a.app(
          rawRequest("/auth/signout", {
            method: "POST",
            headers: [
              ["cookie", `sAccessToken=${user.accessToken}`],
              ["rid", "session"],
            ],
          }),
        );
      const deadline = Date.now() + 2000;
      let response = await signout();
      while (response.status === 200 && Date.now() < deadline) response = await signout();
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: "unauthorised" });
    });
  });
}

describe('revocation "check-database"', () => {
  it("a session deleted behind our back (raw SQL) is refused", async () => {
    const { a } = pair("check-database");
    const user = await a.login();
    await db.db.execute(sql`DELETE FROM sessionkit_sessions WHERE handle = ${user.handle}`);
    await expectRevokedAnswer(await user.client.call("/me"));
  });
});

describe('revocation "none" (the default)', () => {
  it("a revoked session's access token keeps working until it expires, then cannot refresh", async () => {
    const { a, b } = pair("none");
    const user = await a.login();
    await b.sessions.revokeSession(user.handle);
    expect((await user.client.call("/me")).status).toBe(200);
    a.clock.now += 3601_000;
    expect((await user.client.call("/me")).status).toBe(401);
    expect((await user.client.refresh()).status).toBe(401);
  });
});
