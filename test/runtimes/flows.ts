// The core flows against the tRPC example served by another process (test/runtimes/fixtures/
// trpc-server.ts under Node, Bun or Deno): sign-up, a protected call, silent refresh on expiry,
// refresh-token theft, session data and the client IP, sign-out. A real @trpc/client with sessionRefreshLink and a cookie jar;
// the server's clock is the test's, set over HTTP before each step.

import { expect, it } from "vitest";
import { CookieJar } from "../helpers/jar.js";
import { createClient, rejection, uniqueName } from "../trpc/harness.js";

const PASSWORD = "correct horse battery";

export interface RemoteApp {
  url: string;
  /** Sets the server's clock (and the test's). */
  setNow(ms: number): Promise<void>;
  now(): number;
}

/** Defines the flow tests (call inside a describe) on an app that `app()` returns once started. */
export function coreFlows(label: string, app: () => RemoteApp): void {
  async function signedUp() {
    const { url, now } = app();
    const jar = new CookieJar(now);
    const client = createClient(url, { now, jar, link: "http" });
    const name = uniqueName(label);
    const me = await client.trpc.signUp.mutate({ name, password: PASSWORD, displayName: "Ada" });
    return { client, jar, name, me };
  }
  function refreshCookie(jar: CookieJar): string {
    return jar.header("/auth/session/refresh");
  }

  it("signs up and makes a protected call", async () => {
    const { client, name, me } = await signedUp();
    expect(me.name).toBe(name);
    expect((await client.trpc.me.query()).userId).toBe(me.userId);
    expect(await client.trpc.hello.query()).toEqual({ signedIn: true, greeting: "Hello, Ada!" });
  });

  it("refreshes silently once the access token expires", async () => {
    const { client, jar, me } = await signedUp();
    const before = jar.header("/trpc");
    await app().setNow(app().now() + 61_000);
    expect((await client.trpc.me.query()).userId).toBe(me.userId);
    expect(jar.header("/trpc")).not.toBe(before);
    expect(client.expired).toBe(0);
  });

  it("detects reuse of a rotated refresh token as theft and ends the session", async () => {
    const { client, jar } = await signedUp();
    const stolen = refreshCookie(jar);
    await app().setNow(app().now() + 61_000);
    await client.trpc.me.query(); // the legitimate client refreshes
    await app().setNow(app().now() + 11_000); // past the grace window of the rotated token
    const replay = await fetch(`${app().url}/auth/session/refresh`, { method: "POST", headers: { cookie: stolen, rid: "session" } });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ message: "token theft detected" });
    const error = await rejection(client.trpc.me.query());
    expect(error.data?.sessionCode).toBe("UNAUTHORISED");
  });

  it("keeps notes in the session data (atomic add, read back) and records the client IP from the runtime", async () => {
    const { client } = await signedUp();
    await client.trpc.notes.add.mutate({ text: "first" });
    const notes = await client.trpc.notes.add.mutate({ text: "second" });
    expect(notes.map((n) => n.text)).toEqual(["first", "second"]);
    expect((await client.trpc.notes.list.query()).map((n) => n.text)).toEqual(["first", "second"]);
    // trustProxy false: the address the runtime gave the handler (Bun's server.requestIP, Deno's info.remoteAddr).
    const [mine] = await client.trpc.mySessions.list.query();
    expect(mine).toMatchObject({ current: true, ip: "127.0.0.1" });
  });

  it("signs out: cookies cleared, the session is gone", async () => {
    const { client, jar } = await signedUp();
    await client.trpc.signOut.mutate();
    expect(jar.header("/trpc")).toBe("");
    expect(refreshCookie(jar)).toBe("");
    const error = await rejection(client.trpc.me.query());
    expect(error.data?.httpStatus).toBe(401);
  });

  it("answers bad tokens with 401, never 500", async () => {
    const res = await fetch(`${app().url}/trpc/me`, { headers: { cookie: "sAccessToken=not-a-token", rid: "anti-csrf" } });
    expect(res.status).toBe(401);
  });
}
