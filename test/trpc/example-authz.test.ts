// The example's authorisation over real HTTP with a real @trpc/client on Postgres: the `role`
// claim read from the user record (ADMINS for existing accounts too, a changed record picked up
// at a refresh once 5 minutes old), the admin-only procedure behind requireSession({ claims }),
// and "sign out everywhere" behind freshSession with the password confirmation that starts a
// fresh session carrying the old one's notes. Query counts of the claim checks.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "../../examples/shared/users.js";
import { FRESH_SIGN_IN_SECONDS } from "../../examples/trpc/authz.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { type Served, createClient, jarFetch, rejection, serveApp, uniqueName } from "./harness.js";
import { eq } from "drizzle-orm";

const PASSWORD = "correct horse battery";

let db: TestDb;
let served: Served;
let now = Date.parse("2026-03-01T10:00:00Z");
const clock = () => now;
const admin = uniqueName("boss");

beforeAll(async () => {
  db = await createTestDb();
  served = await serveApp("fetch", {
    db: db.db,
    admins: [admin],
    sessionsOptions: { accessTokenTtl: 60, revocation: "notify", cookies: { secure: false }, now: clock },
  });
});
afterAll(async () => {
  await served?.close();
  await db?.close();
});

async function signedUp(name = uniqueName("member")) {
  const client = createClient(served.url, { now: clock });
  const me = await client.trpc.signUp.mutate({ name, password: PASSWORD, displayName: name });
  return { client, name, me };
}

describe("the example's role claim and admin-only procedure", () => {
  it("lets an admin (by the user record) in and answers members 403 INVALID_CLAIM, with 0 queries for the check", async () => {
    const boss = await signedUp(admin);
    expect(boss.me.role).toBe("admin");
    expect(await boss.client.trpc.adminStats.query()).toEqual({ users: expect.any(Number), sessionsOfMine: 1 });
    const member = await signedUp();
    expect(member.me.role).toBe("member");
    db.queries.reset();
    const error = await rejection(member.client.trpc.adminStats.query());
    expect(db.queries.count).toBe(0); // the claim lives in the verified token
    expect(error.data).toMatchObject({
      httpStatus: 403,
      code: "FORBIDDEN",
      sessionCode: "INVALID_CLAIM",
      claimValidationErrors: [{ id: "role", reason: { message: "wrong value", expectedValue: "admin", actualValue: "member" } }],
    });
    // Still signed in: the next call works, and the 403 set no cookie.
    const response = await jarFetch(member.client.jar)(`${served.url}/trpc/adminStats`, { headers: { rid: "anti-csrf" } });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await member.client.trpc.me.query()).userId).toBe(member.me.userId);
  });

  it("picks a changed role up at a refresh once the claim is 5 minutes old", async () => {
    const member = await signedUp();
    await db.db.update(users).set({ role: "admin" }).where(eq(users.id, member.me.userId));
    now += 61_000; // access token expired: the link refreshes; the claim is 61 s old and kept
    expect((await rejection(member.client.trpc.adminStats.query())).data?.httpStatus).toBe(403);
    now += 300_000;
    expect(await member.client.trpc.adminStats.query()).toMatchObject({ sessionsOfMine: 1 });
    expect((await member.client.trpc.me.query()).role).toBe("admin");
  });
});

describe("the example's sign out everywhere behind freshSession", () => {
  it("works right after sign-in; later it needs the password again, which starts a fresh session keeping the notes", async () => {
    const fresh = await signedUp();
    const phone = createClient(served.url, { now: clock });
    await phone.trpc.signIn.mutate({ name: fresh.name, password: PASSWORD });
    expect(await fresh.client.trpc.signOutEverywhere.mutate()).toEqual({ signedOut: 2 });

    const { client, name, me } = await signedUp();
    await client.trpc.notes.add.mutate({ text: "keep me" });
    now += (FRESH_SIGN_IN_SECONDS + 1) * 1000; // refreshes meanwhile do not make a session fresh
    const stale = await rejection(client.trpc.signOutEverywhere.mutate());
    expect(stale.data).toMatchObject({
      httpStatus: 403,
      sessionCode: "INVALID_CLAIM",
      claimValidationErrors: [{ id: "freshSession", reason: { message: "expired", maxAgeInSeconds: FRESH_SIGN_IN_SECONDS } }],
    });
    expect(await served.app.sessions.getAllSessionHandlesForUser(me.userId)).toHaveLength(1);

    const wrong = await rejection(client.trpc.confirmPassword.mutate({ password: "not the password" }));
    expect(wrong.data).toMatchObject({ httpStatus: 400, code: "BAD_REQUEST" });
    expect(wrong.message).toBe("Wrong password.");

    const { signedInAt } = await client.trpc.confirmPassword.mutate({ password: PASSWORD });
    expect(signedInAt).toBe(now);
    const [handle] = await served.app.sessions.getAllSessionHandlesForUser(me.userId);
    expect(handle).not.toBe(me.handle);
    expect((await client.trpc.notes.list.query()).map((n) => n.text)).toEqual(["keep me"]);
    expect((await client.trpc.me.query()).name).toBe(name);
    expect(await client.trpc.signOutEverywhere.mutate()).toEqual({ signedOut: 1 });
    expect(await served.app.sessions.getAllSessionHandlesForUser(me.userId)).toEqual([]);
  });
});
