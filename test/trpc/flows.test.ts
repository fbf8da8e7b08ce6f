// The example's router over real HTTP with a real @trpc/client and a cookie jar, on the fetch
// adapter and on the Node adapter: batches, silent refresh, revocation, sign-in and sign-out.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { type Served, adapterKinds, createClient, jarFetch, rejection, serveApp, uniqueName } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const PASSWORD = "correct horse battery";

describe.each(adapterKinds)("tRPC example on the %s adapter", (kind) => {
  let served: Served;
  let now = Date.parse("2026-03-01T10:00:00Z");
  const clock = () => now;

  beforeAll(async () => {
    served = await serveApp(kind, {
      db: db.db,
      admins: ["root"],
      sessionsOptions: { accessTokenTtl: 60, revocation: "check-database", cookies: { secure: false }, now: clock },
    });
  });
  afterAll(() => served.close());

  async function signedUp(options: Parameters<typeof createClient>[1] = {}) {
    const client = createClient(served.url, { now: clock, ...options });
    const name = uniqueName(kind);
    const me = await client.trpc.signUp.mutate({ name, password: PASSWORD, displayName: "Ada" });
    return { client, name, me };
  }

  it("signs up: cookies and front-token leave with the tRPC response", async () => {
    const jar = new CookieJar(clock);
    const client = createClient(served.url, { now: clock, jar });
    const name = uniqueName(kind);
    const res = await jarFetch(jar)(`${served.url}/trpc/signUp`, {
      method: "POST",
      headers: { "content-type": "application/json", rid: "anti-csrf" },
      body: JSON.stringify({ name, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith("sAccessToken=") && c.includes("HttpOnly"))).toBe(true);
    expect(cookies.some((c) => c.startsWith("sRefreshToken=") && c.includes("Path=/auth/session/refresh"))).toBe(true);
    const front = JSON.parse(Buffer.from(res.headers.get("front-token") ?? "", "base64").toString("utf8"));
    expect(front.up).toMatchObject({ name, displayName: name });
    expect(typeof front.up.iat).toBe("number");
    expect(res.headers.get("access-control-expose-headers")).toContain("front-token");
    expect((await client.trpc.me.query()).name).toBe(name);
  });

  it("answers public and protected calls of one batch in one HTTP request, with one session lookup", async () => {
    const { client, me } = await signedUp();
    served.log.reset();
    db.queries.reset();
    const [hello, me1, me2, me3] = await Promise.all([
      client.trpc.hello.query(),
      client.trpc.me.query(),
      client.trpc.me.query(),
      client.trpc.me.query(),
    ]);
    expect(hello).toEqual({ signedIn: true, greeting: "Hello, Ada!" });
    for (const m of [me1, me2, me3]) expect(m.userId).toBe(me.userId);
    expect(served.log.count("/trpc/")).toBe(1);
    // check-database: exactly one existence query for the whole batch of four calls.
    expect(db.queries.count).toBe(1);
  });

  it("runs public procedures with an expired token, and a bare protected call is a real HTTP 401", async () => {
    const { client } = await signedUp();
    now += 61_000;
    const raw = createClient(served.url, { now: clock, jar: client.jar, refreshLink: false });
    expect(await raw.trpc.hello.query()).toEqual({ signedIn: false, greeting: "Hello, stranger!" });
    const error = await rejection(raw.trpc.me.query());
    expect(error.data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401, sessionCode: "TRY_REFRESH_TOKEN" });
    const res = await jarFetch(client.jar)(`${served.url}/trpc/me`);
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]); // an expired token is not a reason to clear cookies
  });

  it("answers a mixed batch with a session failure as a real 401 (sessionResponseMeta), results in the body", async () => {
    const { client } = await signedUp();
    const send = jarFetch(client.jar);
    const input = encodeURIComponent(JSON.stringify({}));
    const ok = await send(`${served.url}/trpc/hello,me?batch=1&input=${input}`);
    expect(ok.status).toBe(200);
    const forbidden = await send(`${served.url}/trpc/hello,adminStats?batch=1&input=${input}`);
    expect(forbidden.status).toBe(403); // adminStats is behind a claim: 403 INVALID_CLAIM, never 401
    now += 61_000;
    const res = await send(`${served.url}/trpc/hello,me?batch=1&input=${input}`);
    expect(res.status).toBe(401);
    const [hello, me] = (await res.json()) as [{ result: { data: unknown } }, { error: { data: { sessionCode: string } } }];
    expect(hello.result.data).toEqual({ signedIn: false, greeting: "Hello, stranger!" });
    expect(me.error.data.sessionCode).toBe("TRY_REFRESH_TOKEN");
  });

  it("refreshes once for N concurrent failing calls (httpLink: one HTTP request each), and all succeed", async () => {
    const { client, me } = await signedUp({ link: "http" });
    now += 61_000;
    served.log.reset();
    const results = await Promise.all(Array.from({ length: 8 }, () => client.trpc.me.query()));
    for (const r of results) expect(r.userId).toBe(me.userId);
    expect(served.log.count("/auth/session/refresh")).toBe(1);
    expect(served.log.count("/trpc/me")).toBe(16); // 8 failed, 8 retried
    // The next calls use the new token: no more refresh.
    served.log.reset();
    await Promise.all([client.trpc.me.query(), client.trpc.notes.list.query()]);
    expect(served.log.count("/auth/session/refresh")).toBe(0);
  });

  it("refreshes once for an expired batch mixing public and protected calls", async () => {
    const { client, me } = await signedUp();
    now += 61_000;
    served.log.reset();
    const [hello, mine, notes] = await Promise.all([client.trpc.hello.query(), client.trpc.me.query(), client.trpc.notes.list.query()]);
    expect(hello.signedIn).toBe(false); // ran with the expired token, was not retried
    expect(mine.userId).toBe(me.userId);
    expect(notes).toEqual([]);
    expect(served.log.count("/auth/session/refresh")).toBe(1);
    expect(served.log.count("/trpc/")).toBe(2);
  });

  it("a revoked session gets UNAUTHORISED with cleared cookies, without a refresh or a retry", async () => {
    const { client, me } = await signedUp();
    await served.app.sessions.revokeAllSessionsForUser(me.userId);
    served.log.reset();
    const error = await rejection(client.trpc.me.query());
    expect(error.data).toMatchObject({ httpStatus: 401, sessionCode: "UNAUTHORISED" });
    expect(served.log.paths).toEqual(["/trpc/me"]);
    expect(client.jar.get("sAccessToken")).toBeUndefined();
    expect(client.jar.get("sRefreshToken")).toBeUndefined();
  });

  it("gives up after one failed refresh (expired and revoked): no loop, the call fails once", async () => {
    const { client, me } = await signedUp({ link: "http" });
    await served.app.sessions.revokeAllSessionsForUser(me.userId);
    now += 61_000;
    served.log.reset();
    const errors = await Promise.all(Array.from({ length: 4 }, () => rejection(client.trpc.me.query())));
    for (const error of errors) expect(error.data?.sessionCode).toBe("TRY_REFRESH_TOKEN");
    expect(served.log.count("/auth/session/refresh")).toBe(1);
    expect(served.log.count("/trpc/me")).toBe(4);
    expect(client.expired).toBe(1);
    expect(client.jar.get("sRefreshToken")).toBeUndefined(); // the failed refresh cleared the session
    // Now signed out for good: no access token, UNAUTHORISED, no refresh.
    served.log.reset();
    expect((await rejection(client.trpc.me.query())).data?.sessionCode).toBe("UNAUTHORISED");
    expect(served.log.count("/auth/session/refresh")).toBe(0);
  });

  it("signs in and out through httpBatchLink: cookies set, then cleared", async () => {
    const { client, name } = await signedUp();
    await client.trpc.signOut.mutate();
    expect(client.jar.get("sAccessToken")).toBeUndefined();
    expect(client.jar.get("sRefreshToken")).toBeUndefined();
    expect((await rejection(client.trpc.me.query())).data?.sessionCode).toBe("UNAUTHORISED");

    const bad = await rejection(client.trpc.signIn.mutate({ name, password: "wrong password" }));
    expect(bad.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
    expect(bad.message).toBe("Wrong name or password.");

    const me = await client.trpc.signIn.mutate({ name, password: PASSWORD });
    expect(client.jar.get("sAccessToken")).toBeTruthy();
    expect((await client.trpc.me.query()).userId).toBe(me.userId);
  });

  it("renames with a new access token on the same response (visible at once) and in other sessions after refresh", async () => {
    const { client, name } = await signedUp();
    const other = createClient(served.url, { now: clock });
    await other.trpc.signIn.mutate({ name, password: PASSWORD });
    const renamed = await client.trpc.rename.mutate({ displayName: "Grace" });
    expect(renamed.displayName).toBe("Grace");
    expect((await client.trpc.me.query()).displayName).toBe("Grace");
    expect((await other.trpc.me.query()).displayName).toBe("Ada"); // its token predates the rename
    now += 61_000;
    expect((await other.trpc.me.query()).displayName).toBe("Grace"); // refreshed silently
  });

  it("keeps private notes in session data, per session, with atomic updates", async () => {
    const { client } = await signedUp();
    await Promise.all(Array.from({ length: 5 }, (_, i) => client.trpc.notes.add.mutate({ text: `note ${i}` })));
    const notes = await client.trpc.notes.list.query();
    expect(notes.map((n) => n.text).sort()).toEqual(["note 0", "note 1", "note 2", "note 3", "note 4"]);
    const left = await client.trpc.notes.remove.mutate({ id: notes[0]?.id ?? "" });
    expect(left).toHaveLength(4);
    const empty = await rejection(client.trpc.notes.add.mutate({ text: "  " }));
    expect(empty.data).toMatchObject({ code: "BAD_REQUEST", issues: ["A note cannot be empty."] });
  });

  it("lists my sessions, signs another one out, and signs out everywhere", async () => {
    const { client, name, me } = await signedUp();
    const phone = createClient(served.url, { now: clock });
    await phone.trpc.signIn.mutate({ name, password: PASSWORD });
    const list = await client.trpc.mySessions.list.query();
    expect(list).toHaveLength(2);
    expect(list.filter((s) => s.current)).toHaveLength(1);
    const phoneHandle = list.find((s) => !s.current)?.handle ?? "";
    expect(await client.trpc.mySessions.revoke.mutate({ handle: phoneHandle })).toEqual({ signedOut: false });
    expect((await rejection(phone.trpc.me.query())).data?.sessionCode).toBe("UNAUTHORISED");

    // Someone else's handle: 403, an authorisation failure, not a session problem.
    const stranger = (await signedUp()).client;
    const forbidden = await rejection(stranger.trpc.mySessions.revoke.mutate({ handle: me.handle }));
    expect(forbidden.data).toMatchObject({ code: "FORBIDDEN", httpStatus: 403 });
    expect((await client.trpc.me.query()).userId).toBe(me.userId);

    await phone.trpc.signIn.mutate({ name, password: PASSWORD });
    expect(await client.trpc.signOutEverywhere.mutate()).toEqual({ signedOut: 2 });
    expect(client.jar.get("sAccessToken")).toBeUndefined();
    expect((await rejection(phone.trpc.me.query())).data?.sessionCode).toBe("UNAUTHORISED");
    expect(await served.app.sessions.getAllSessionHandlesForUser(me.userId)).toEqual([]);
  });

  it("keeps the admin-only procedure at 403 (role claim) for members, never 401", async () => {
    const { client } = await signedUp();
    const error = await rejection(client.trpc.adminStats.query());
    expect(error.data).toMatchObject({ code: "FORBIDDEN", httpStatus: 403, sessionCode: "INVALID_CLAIM" });
    const root = createClient(served.url, { now: clock });
    await root.trpc.signUp
      .mutate({ name: `root`, password: PASSWORD })
      .catch(() => root.trpc.signIn.mutate({ name: "root", password: PASSWORD }));
    expect(await root.trpc.adminStats.query()).toEqual({ users: expect.any(Number), sessionsOfMine: expect.any(Number) });
  });

  it('with revocation "notify" a revoked session is refused at once, with cleared cookies', async () => {
    const notifying = await serveApp(kind, {
      db: db.db,
      sessionsOptions: { accessTokenTtl: 60, revocation: "notify", cookies: { secure: false }, now: clock },
    });
    try {
      const client = createClient(notifying.url, { now: clock });
      const me = await client.trpc.signUp.mutate({ name: uniqueName(kind), password: PASSWORD });
      expect((await client.trpc.me.query()).userId).toBe(me.userId);
      await notifying.app.sessions.revokeSession(me.handle);
      notifying.log.reset();
      const error = await rejection(client.trpc.me.query());
      expect(error.data).toMatchObject({ httpStatus: 401, sessionCode: "UNAUTHORISED" });
      expect(notifying.log.paths).toEqual(["/trpc/me"]);
      expect(client.jar.get("sAccessToken")).toBeUndefined();
    } finally {
      await notifying.close();
    }
  });

  it("turns a session that vanished mid-request into a 401 with cleared cookies, not a 500", async () => {
    // revocation "none" trusts the token, so the first store call is what finds the session gone.
    const trusting = await serveApp(kind, {
      db: db.db,
      sessionsOptions: { accessTokenTtl: 60, cookies: { secure: false }, now: clock },
    });
    try {
      const client = createClient(trusting.url, { now: clock });
      const me = await client.trpc.signUp.mutate({ name: uniqueName(kind), password: PASSWORD });
      await trusting.app.sessions.revokeSession(me.handle);
      expect((await client.trpc.me.query()).userId).toBe(me.userId); // token still trusted
      const error = await rejection(client.trpc.notes.list.query());
      expect(error.data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401, sessionCode: "UNAUTHORISED" });
      expect(client.jar.get("sAccessToken")).toBeUndefined();
    } finally {
      await trusting.close();
    }
  });
});
