// The Next.js App Router example (examples/next) as a user builds it: a fresh project on the
// packed tarball, a real `next build` (which type-checks it) and `next start` on a free port,
// driven over HTTP with a cookie jar on real Postgres: sign-in from a Server Action (the no-JS
// form post), a React Server Component reading the session and calling the router through
// createCaller, tRPC through a route handler, an expired token in a render leading to a
// client-side refresh (never a silent sign-out), refresh, theft and sign-out through
// sessions.handle, the JWKS verifying an access token.

import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { type JSONWebKeySet, createLocalJWKSet, jwtVerify } from "jose";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_URL } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { type Started, startServer } from "../runtimes/spawn.js";
import { nextProject } from "./projects.js";

const CLOCK = fileURLToPath(new URL("../runtimes/fixtures/clock.mjs", import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!DATABASE_URL)("the Next.js example, built from the packed package", () => {
  let server: Started;
  let admin: postgres.Sql;
  const schema = `sk_next_${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    admin = postgres(DATABASE_URL as string, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    const started = Date.now();
    const project = await nextProject();
    console.log(`next project ready in ${Date.now() - started} ms (next build: ${project.buildMs ? `${project.buildMs} ms` : "cached"})`);
    const port = await freePort();
    const [node, args] = project.next;
    const startedServer = Date.now();
    server = await startServer(node, ["--import", CLOCK, ...args, "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: project.dir,
      url: `http://127.0.0.1:${port}`,
      ready: /Ready in/,
      env: {
        DATABASE_URL,
        DATABASE_SCHEMA: schema,
        COOKIE_SECURE: "false",
        ACCESS_TOKEN_TTL: "60",
        NEXT_TELEMETRY_DISABLED: "1",
        NODE_ENV: "production",
      },
    });
    console.log(`next start: ready after ${Date.now() - startedServer} ms`);
  }, 600_000);
  afterAll(async () => {
    await server?.stop();
    await admin?.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end({ timeout: 1 });
  });

  /** A browser without JavaScript: a cookie jar, redirects not followed. */
  function browser() {
    const jar = new CookieJar();
    const send = (path: string, init: RequestInit = {}) => jar.fetch(new URL(path, server.url), { ...init, redirect: "manual" });
    const page = async () => {
      const res = await send("/");
      expect(res.status).toBe(200);
      return res.text();
    };
    /** Submits the sign-in form as a browser does without JavaScript: the Server Action's hidden field and the inputs. */
    const signIn = async (name: string, password: string) => {
      const html = await page();
      const action = /name="(\$ACTION_ID_[^"]+)"/.exec(html)?.[1];
      expect(action, "the sign-in form carries its Server Action").toBeDefined();
      const form = new FormData();
      form.set(action as string, "");
      form.set("name", name);
      form.set("password", password);
      return send("/", { method: "POST", body: form, headers: { origin: server.url } });
    };
    const trpc = (path: string, init: RequestInit = {}) =>
      send(`/trpc/${path}`, { ...init, headers: { rid: "anti-csrf", "content-type": "application/json", ...init.headers } });
    return { jar, send, page, signIn, trpc };
  }

  /** The server's clock is ahead of ours by this much (CLOCK_STEP_MS per advanceClock). */
  let clockOffset = 0;
  async function advanceClock() {
    const ack = server.nextLine(/"clock"/);
    server.kill("SIGUSR2");
    await ack;
    clockOffset += 61_000;
  }

  it("signs in from a Server Action: HttpOnly session cookies, redirect to the page", async () => {
    const b = browser();
    expect(await b.page()).toContain('id="sign-in"');
    const res = await b.signIn("ada", "correct horse battery");
    expect(res.status).toBe(303);
    const cookies = res.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith("sAccessToken=") && /httponly/i.test(c) && /path=\//i.test(c))).toBe(true);
    expect(cookies.some((c) => c.startsWith("sRefreshToken=") && /path=\/auth\/session\/refresh/i.test(c))).toBe(true);
    const html = await b.page();
    expect(html).toContain("Signed in as <!-- -->ada");
    expect(html).toContain("user-ada");
  });

  it("refuses a wrong password without starting a session", async () => {
    const b = browser();
    const res = await b.signIn("ada", "wrong password");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("error=credentials");
    expect(res.headers.getSetCookie().some((c) => c.startsWith("sAccessToken="))).toBe(false);
  });

  it("serves tRPC through the route handler; the Server Component sees the same session data", async () => {
    const b = browser();
    await b.signIn("grace", "staple battery horse");
    const added = await b.trpc("addNote", { method: "POST", body: JSON.stringify("from tRPC") });
    expect(added.status).toBe(200);
    expect(((await added.json()) as { result: { data: string[] } }).result.data).toEqual(["from tRPC"]);
    const me = await b.trpc("me");
    expect(((await me.json()) as { result: { data: { userId: string } } }).result.data.userId).toBe("user-grace");
    expect(await b.page()).toContain("<li>from tRPC</li>");
    expect((await browser().trpc("me")).status).toBe(401);
  });

  it("an expired token in a render leads to a client-side refresh, then the page renders signed in", async () => {
    const b = browser();
    await b.signIn("ada", "correct horse battery");
    await advanceClock();
    const html = await b.page();
    expect(html).toContain('id="session-refresh"');
    expect(html).not.toContain("Signed in as");
    expect(html).not.toContain('id="sign-in"');
    const expired = await b.trpc("me");
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { data: { sessionCode: string } } }).error.data.sessionCode).toBe("TRY_REFRESH_TOKEN");
    // What <RefreshSession/> does in the browser: refresh (the cookie goes only to this path), re-render.
    const refreshed = await b.send("/auth/session/refresh", { method: "POST", headers: { rid: "session" } });
    expect(refreshed.status).toBe(200);
    expect(await b.page()).toContain("Signed in as <!-- -->ada");
    expect((await b.trpc("me")).status).toBe(200);
  });

  it("a bad token renders the refresh step, and a failed refresh signs out cleanly (no 500)", async () => {
    const b = browser();
    const res = await b.send("/", { headers: { cookie: "sAccessToken=not-a-token" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('id="session-refresh"');
    const refresh = await b.send("/auth/session/refresh", { method: "POST", headers: { rid: "session" } });
    expect(refresh.status).toBe(401);
    expect(await b.page()).toContain('id="sign-in"');
  });

  it("a rotated-away refresh token used after the grace window is theft: 401, cleared, the session ended", async () => {
    const b = browser();
    await b.signIn("ada", "correct horse battery");
    const stolen = b.jar.header("/auth/session/refresh");
    expect((await b.send("/auth/session/refresh", { method: "POST", headers: { rid: "session" } })).status).toBe(200);
    await advanceClock(); // 61 s: past the 10 s grace window
    // The thief's own client, without the jar (which would send the current cookies instead).
    const thief = await fetch(new URL("/auth/session/refresh", server.url), {
      method: "POST",
      headers: { rid: "session", cookie: stolen },
      redirect: "manual",
    });
    expect(thief.status).toBe(401);
    expect(await thief.json()).toEqual({ message: "token theft detected" });
    expect(thief.headers.get("front-token")).toBe("remove");
    // The whole session is gone: the victim's current refresh token no longer works either.
    expect((await b.send("/auth/session/refresh", { method: "POST", headers: { rid: "session" } })).status).toBe(401);
  });

  it("serves the JWKS at /auth/jwt/jwks.json, and an access token verifies against it", async () => {
    const b = browser();
    await b.signIn("ada", "correct horse battery");
    const res = await b.send("/auth/jwt/jwks.json");
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as JSONWebKeySet;
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys.every((k) => !("d" in k))).toBe(true); // public keys only
    const token = b.jar.get("sAccessToken") as string;
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { currentDate: new Date(Date.now() + clockOffset) });
    expect(typeof payload.sub).toBe("string");
    expect(typeof payload.sessionHandle).toBe("string");
  });

  it("signs out through POST /auth/signout: cookies cleared, the page asks to sign in", async () => {
    const b = browser();
    await b.signIn("ada", "correct horse battery");
    const before = b.jar.header("/");
    const out = await b.send("/auth/signout", { method: "POST", headers: { rid: "session" } });
    expect(out.status).toBe(200);
    expect(b.jar.header("/")).toBe("");
    expect(await b.page()).toContain('id="sign-in"');
    // The old access token no longer works (revocation "check-database").
    expect((await b.trpc("me", { headers: { cookie: before } })).status).toBe(401);
  });
});
