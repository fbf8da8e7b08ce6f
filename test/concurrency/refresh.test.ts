// Refresh under races: many refreshes of one token at once (two tabs, retries, two instances)
// all succeed inside the grace window and leave the client with working tokens; reuse after
// the window is theft.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { type Instance, openInstance, requestFrom, uniqueChannel, verify } from "./instances.js";

const BURST = 50;

interface Refreshed {
  status: number;
  body: unknown;
  headers: Headers;
  refreshToken: string | undefined;
}

/** POST /auth/session/refresh through the instance's own handler, with the cookies `from` set. */
async function refresh(on: Instance, from: Headers): Promise<Refreshed> {
  const request = requestFrom(from, "POST");
  const response = (await on.sessions.handle(
    new Request("http://localhost/auth/session/refresh", { method: "POST", headers: request.headers }),
  )) as Response;
  const line = response.headers.getSetCookie().find((l) => l.startsWith("sRefreshToken="));
  return {
    status: response.status,
    body: await response.json().catch(() => undefined),
    headers: response.headers,
    refreshToken: line?.slice("sRefreshToken=".length, line.indexOf(";")),
  };
}

describe.each(availableKinds)("refresh races on %s", (kind) => {
  let db: TestDb;
  let a: Instance;
  let b: Instance;
  const clock = testClock();

  beforeAll(async () => {
    db = await createTestDb(kind);
    const options = { now: clock.now, antiCsrf: "none" as const, revocation: "notify" as const, notifyChannel: uniqueChannel() };
    a = openInstance(db, "A", options);
    b = openInstance(db, "B", options);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  async function signIn(userId: string): Promise<Headers> {
    const headers = new Headers();
    await a.sessions.createNewSession({ userId }, headers);
    return headers;
  }

  /** 50 refreshes of one token at once, alternating between the two instances. */
  async function burst(from: Headers): Promise<Refreshed[]> {
    return Promise.all(Array.from({ length: BURST }, (_, i) => refresh(i % 2 === 0 ? a : b, from)));
  }

  it("50 concurrent refreshes of one token on two instances all succeed with the same new refresh token", async () => {
    const start = await signIn(`burst-${kind}`);
    const results = await burst(start);
    expect(results.map((r) => r.status)).toEqual(Array(BURST).fill(200));
    const tokens = new Set(results.map((r) => r.refreshToken));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(/\.1\./);

    // Every response's access token works on both instances.
    for (const r of results.slice(0, 10)) {
      expect(await verify(a, requestFrom(r.headers))).toBe("ok");
      expect(await verify(b, requestFrom(r.headers))).toBe("ok");
    }
    // And the client can go on refreshing with what it was given.
    const next = await refresh(b, (results[0] as Refreshed).headers);
    expect(next.status).toBe(200);
    expect(next.refreshToken).toMatch(/\.2\./);
    expect(await verify(a, requestFrom(next.headers))).toBe("ok");
  });

  it("a straggler with the old token inside the grace window gets the current token, not theft", async () => {
    const start = await signIn(`straggler-${kind}`);
    const first = await refresh(a, start);
    clock.advance(9_000);
    const late = await refresh(b, start);
    expect(late.status).toBe(200);
    expect(late.refreshToken).toBe(first.refreshToken);
    expect(await verify(a, requestFrom(late.headers))).toBe("ok");
  });

  it("reuse after the grace window is theft: the session is revoked everywhere", async () => {
    const start = await signIn(`thief-${kind}`);
    const results = await burst(start);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const good = (results[1] as Refreshed).headers;
    expect(await verify(b, requestFrom(good))).toBe("ok");

    clock.advance(11_000);
    const replay = await refresh(b, start);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ message: "token theft detected" });
    expect(replay.headers.getSetCookie().some((l) => l.startsWith("sRefreshToken=;"))).toBe(true);

    // The victim's tokens die too, on both instances.
    expect((await refresh(a, good)).status).toBe(401);
    expect(await verify(a, requestFrom(good))).toBe("UNAUTHORISED");
    expect(await verify(b, requestFrom(good))).toBe("UNAUTHORISED");
  });

  it("concurrent replays after the window: every one is refused, none mints a token", async () => {
    const start = await signIn(`replays-${kind}`);
    const first = await refresh(a, start);
    expect(first.status).toBe(200);
    clock.advance(11_000);
    const replays = await burst(start);
    expect(replays.every((r) => r.status === 401)).toBe(true);
    expect(replays.filter((r) => r.refreshToken !== undefined && r.refreshToken !== "")).toEqual([]);
    expect((await refresh(b, first.headers)).status).toBe(401);
  });
});
