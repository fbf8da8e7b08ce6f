// httpBatchStreamLink: tRPC v11 sends the response head (status 200, headers) as soon as the
// context exists, before any procedure finishes, then streams results as JSON lines. A cookie set
// inside a procedure could not go out, so sessionkit makes such calls fail loudly; cookies written
// while the context is created (clearing a revoked session) still go out; queries and silent
// refresh work, since the session code travels in-band.

import { createTRPCClient, httpBatchLink, httpBatchStreamLink, splitLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../../examples/trpc/router.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { type Served, adapterKinds, createClient, rejection, serveApp, uniqueName } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const PASSWORD = "correct horse battery";

describe.each(adapterKinds)("httpBatchStreamLink on the %s adapter", (kind) => {
  let served: Served;
  let now = Date.parse("2026-03-01T10:00:00Z");
  const clock = () => now;

  beforeAll(async () => {
    served = await serveApp(kind, {
      db: db.db,
      sessionsOptions: { accessTokenTtl: 60, revocation: "check-database", cookies: { secure: false }, now: clock },
    });
  });
  afterAll(() => served.close());

  /** A stream client sharing the jar of a client that signed up over httpBatchLink. */
  async function signedUpStream() {
    const batch = createClient(served.url, { now: clock });
    const name = uniqueName(kind);
    const me = await batch.trpc.signUp.mutate({ name, password: PASSWORD, displayName: "Ada" });
    const stream = createClient(served.url, { now: clock, link: "stream", jar: batch.jar });
    return { batch, stream, name, me };
  }

  it("streams queries with the session", async () => {
    const { stream, me } = await signedUpStream();
    const [hello, mine] = await Promise.all([stream.trpc.hello.query(), stream.trpc.me.query()]);
    expect(hello.signedIn).toBe(true);
    expect(mine.userId).toBe(me.userId);
  });

  it("fails sign-in loudly instead of dropping its cookies, and stores no session", async () => {
    const { name, me } = await signedUpStream();
    const before = await served.app.sessions.getAllSessionHandlesForUser(me.userId);
    const fresh = createClient(served.url, { now: clock, link: "stream" });
    const error = await rejection(fresh.trpc.signIn.mutate({ name, password: PASSWORD }));
    expect(error.data).toMatchObject({ code: "INTERNAL_SERVER_ERROR", httpStatus: 500, sessionCode: "GENERAL_ERROR" });
    expect(error.message).toMatch(/cannot create a session: the response has already been sent.*httpBatchStreamLink/);
    expect(fresh.jar.get("sAccessToken")).toBeUndefined();
    expect(await served.app.sessions.getAllSessionHandlesForUser(me.userId)).toEqual(before);
  });

  it("fails updateJWTPayload and revokeSession loudly, before changing anything", async () => {
    const { stream, batch, me } = await signedUpStream();
    const rename = await rejection(stream.trpc.rename.mutate({ displayName: "Grace" }));
    expect(rename.message).toMatch(/cannot update the JWT payload/);
    const info = await served.app.sessions.getSessionInformation(me.handle);
    expect(info?.jwtPayload.displayName).toBe("Ada");

    const signOut = await rejection(stream.trpc.signOut.mutate());
    expect(signOut.message).toMatch(/cannot revoke the session/);
    // Not revoked: revoking without clearing the cookies would leave the browser half signed out.
    expect((await batch.trpc.me.query()).userId).toBe(me.userId);
  });

  it("refreshes silently: the session code travels in the stream even though the status is 200", async () => {
    const { stream, me } = await signedUpStream();
    now += 61_000;
    served.log.reset();
    const results = await Promise.all([stream.trpc.me.query(), stream.trpc.me.query(), stream.trpc.notes.list.query()]);
    expect(results[0].userId).toBe(me.userId);
    expect(served.log.count("/auth/session/refresh")).toBe(1);
  });

  it("still clears the cookies of a revoked session (written before the head leaves)", async () => {
    const { stream, me } = await signedUpStream();
    await served.app.sessions.revokeSession(me.handle);
    const error = await rejection(stream.trpc.me.query());
    expect(error.data?.sessionCode).toBe("UNAUTHORISED");
    expect(stream.jar.get("sAccessToken")).toBeUndefined();
  });

  it("works end to end with the documented split: mutations over httpBatchLink, queries streamed", async () => {
    const base = createClient(served.url, { now: clock });
    const http = { url: `${served.url}/trpc`, fetch: base.link.fetch };
    const trpc = createTRPCClient<AppRouter>({
      links: [
        base.link,
        splitLink({ condition: (op) => op.type === "mutation", true: httpBatchLink(http), false: httpBatchStreamLink(http) }),
      ],
    });
    const me = await trpc.signUp.mutate({ name: uniqueName(kind), password: PASSWORD });
    await trpc.rename.mutate({ displayName: "Streamed" });
    expect((await trpc.me.query()).displayName).toBe("Streamed");
    await trpc.signOut.mutate();
    expect(base.jar.get("sAccessToken")).toBeUndefined();
    expect(await served.app.sessions.getAllSessionHandlesForUser(me.userId)).toEqual([]);
  });
});
