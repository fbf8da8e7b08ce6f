// Login CSRF through the core call: `createNewSession(input, response, request)` refuses a
// sign-in request a cross-site form could send (no `rid` header) in every anti-CSRF mode but
// "none", before anything is stored or any cookie is written.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AntiCsrfMode, createSessions, isSessionError } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { guardProcess } from "./process-guard.js";
import { uniqueUser } from "./target.js";

guardProcess();

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

/** What a cross-site form posting to the app's sign-in route sends: cookies, no custom header. */
function formPost(): Request {
  return new Request("http://localhost:3000/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
    body: "user=attacker",
  });
}

function sdkPost(): Request {
  return new Request("http://localhost:3000/login", { method: "POST", headers: { rid: "anti-csrf", "content-type": "application/json" } });
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  return undefined;
}

for (const mode of ["via-token", "via-custom-header"] as const satisfies AntiCsrfMode[]) {
  describe(`createNewSession with the request, anti-CSRF "${mode}"`, () => {
    it("refuses a sign-in without the rid header: 401 UNAUTHORISED, no row, no cookie", async () => {
      const sessions = createSessions({ store: drizzleStore(db.db), antiCsrf: mode, onWarning: () => {} });
      const userId = uniqueUser("login-csrf");
      const response = new Headers();
      const error = await rejection(sessions.createNewSession({ userId }, response, formPost()));
      expect(isSessionError(error) && error.code).toBe("UNAUTHORISED");
      expect(isSessionError(error) && error.status).toBe(401);
      expect(response.getSetCookie()).toEqual([]);
      expect(response.get("front-token")).toBeNull();
      expect(await sessions.getAllSessionHandlesForUser(userId)).toEqual([]);
      await sessions.close();
    });

    it("starts the session when the request carries rid (the SDK and our clients always send it)", async () => {
      const sessions = createSessions({ store: drizzleStore(db.db), antiCsrf: mode, onWarning: () => {} });
      const userId = uniqueUser("login-ok");
      const response = new Headers();
      const session = await sessions.createNewSession({ userId }, response, sdkPost());
      expect(session.getUserId()).toBe(userId);
      expect(response.getSetCookie().some((l) => l.startsWith("sAccessToken="))).toBe(true);
      await sessions.close();
    });

    it("keeps working without a request (sign-in outside a request, e.g. a script)", async () => {
      const sessions = createSessions({ store: drizzleStore(db.db), antiCsrf: mode, onWarning: () => {} });
      const session = await sessions.createNewSession({ userId: uniqueUser("no-request") }, new Headers());
      expect(session.getHandle()).toMatch(/^[0-9a-f-]{36}$/);
      await sessions.close();
    });
  });
}

describe('createNewSession with the request, anti-CSRF "none"', () => {
  it("does not check (the deployment relies on SameSite)", async () => {
    const sessions = createSessions({ store: drizzleStore(db.db), antiCsrf: "none", onWarning: () => {} });
    const session = await sessions.createNewSession({ userId: uniqueUser("none") }, new Headers(), formPost());
    expect(session.getUserId()).toContain("none");
    await sessions.close();
  });
});
