// The 403 "invalid claim" bytes against supertokens-node 24 (lib/ts/recipe/session/utils.ts
// `sendInvalidClaimResponse`: status `invalidClaimStatusCode` = 403, body
// `{ message: "invalid claim", claimValidationErrors }` through `res.json`), with the reason shapes
// of its PrimitiveArrayClaim / PrimitiveClaim validators; and sessionkit's own routes, which (like
// supertokens-node's refresh and sign-out APIs) run no claim validator: a session that fails
// every claim still refreshes and signs out.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wireBody } from "../../src/core/errors.js";
import { type SessionError, claim, createSessions, freshSession, isSessionError } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

describe("403 invalid claim on the wire", () => {
  it("has supertokens-node's body bytes, reasons included", async () => {
    const clock = testClock();
    const roles = claim<string[]>("st-role", { fetch: () => ["member"] });
    const plan = claim<string>("plan", { fetch: () => "free" });
    const sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false }, now: clock.now, claims: [roles, plan] });
    const session = await sessions.createNewSession({ userId: "wire-user" }, new Headers());
    clock.advance(700_000);
    let error: SessionError | undefined;
    try {
      session.assertClaims([roles.includes("admin"), roles.excludes("member"), plan.equals("pro"), freshSession(600)]);
    } catch (caught) {
      if (isSessionError(caught)) error = caught;
    }
    expect(error?.status).toBe(403);
    expect(JSON.stringify(wireBody(error as SessionError))).toBe(
      '{"message":"invalid claim","claimValidationErrors":[' +
        '{"id":"st-role","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["member"]}},' +
        '{"id":"st-role","reason":{"message":"wrong value","expectedToNotInclude":"member","actualValue":["member"]}},' +
        '{"id":"plan","reason":{"message":"wrong value","expectedValue":"pro","actualValue":"free"}},' +
        '{"id":"freshSession","reason":{"message":"expired","ageInSeconds":700,"maxAgeInSeconds":600}}]}',
    );
    // A claim the token does not hold: "value does not exist", actualValue left out (undefined), as JSON.stringify does in Node.
    const other = claim<string[]>("perms", { fetch: () => [] });
    try {
      session.assertClaims([other.includes("read")]);
    } catch (caught) {
      error = caught as SessionError;
    }
    expect(JSON.stringify(wireBody(error as SessionError))).toBe(
      '{"message":"invalid claim","claimValidationErrors":[{"id":"perms","reason":{"message":"value does not exist","expectedToInclude":"read"}}]}',
    );
    await sessions.close();
  });

  it("sessionkit's routes run no claim validator: refresh and sign-out answer as usual", async () => {
    const clock = testClock();
    const roles = claim<string[]>("st-role", { fetch: () => [], maxAgeSeconds: 60 });
    const sessions = createSessions({ store: drizzleStore(db.db), cookies: { secure: false }, now: clock.now, claims: [roles] });
    const jar = new CookieJar(clock.now);
    const headers = new Headers();
    await sessions.createNewSession({ userId: "no-role" }, headers);
    jar.store(headers);
    const call = async (path: string) => {
      const response = await sessions.handle(
        new Request(`http://localhost${path}`, { method: "POST", headers: { rid: "session", cookie: jar.header(path) } }),
      );
      if (!response) throw new Error(`${path} was not answered`);
      jar.store(response);
      return { status: response.status, body: await response.text() };
    };
    clock.advance(120_000);
    expect(await call("/auth/session/refresh")).toEqual({ status: 200, body: "{}" });
    expect(await call("/auth/signout")).toEqual({ status: 200, body: '{"status":"OK"}' });
    await sessions.close();
  });
});
