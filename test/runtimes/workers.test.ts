// sessionkit on Cloudflare's workerd (miniflare, from npm): the core's fetch routes and postgres.js
// over workerd's TCP sockets on real Postgres, revocation "check-database". The worker
// (fixtures/worker.ts, bundled with esbuild as wrangler would) builds createSessions and its
// connection per request: sign-in, protected call with modifySessionData, expiry and refresh,
// theft, sign-out, bad tokens. A module-level instance fails from the second request on, with
// an error and a warning that say why.

import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_URL, type TestDb, createTestDb } from "../helpers/db.js";
import { TestClient } from "../helpers/app.js";

describe.skipIf(!DATABASE_URL)("sessionkit on workerd (miniflare)", () => {
  let db: TestDb;
  let mf: Miniflare;
  let url: URL;
  let now = Date.parse("2026-03-01T10:00:00Z");

  beforeAll(async () => {
    db = await createTestDb("postgres");
    const bundled = Date.now();
    const out = await build({
      entryPoints: [new URL("./fixtures/worker.ts", import.meta.url).pathname],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      // postgres.js's "workerd" build uses cloudflare:sockets; node:* come from nodejs_compat.
      conditions: ["workerd", "worker", "import"],
      mainFields: ["module", "main"],
      external: ["cloudflare:sockets", "node:*"],
      target: "es2022",
    });
    const contents = out.outputFiles[0]?.text ?? "";
    const started = Date.now();
    mf = new Miniflare({
      modules: [{ type: "ESModule", path: "worker.js", contents }],
      compatibilityDate: "2025-09-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings: { DATABASE_URL: DATABASE_URL as string, SCHEMA: db.schema as string },
    });
    url = await mf.ready;
    console.log(
      `worker bundle ${(contents.length / 1024).toFixed(0)} KiB in ${started - bundled} ms; workerd ready in ${Date.now() - started} ms`,
    );
  }, 90_000);
  afterAll(async () => {
    await mf?.dispose();
    await db?.close();
  });

  async function setNow(ms: number) {
    now = ms;
    expect((await fetch(new URL("/__test/now", url), { method: "POST", body: String(ms) })).status).toBe(204);
  }

  /** A client like the SuperTokens SDK (rid, front-token, cookie jar) talking to one of the worker's modes. */
  function client(mode: "per-request" | "shared") {
    return new TestClient(
      (request) => fetch(request),
      () => now,
      `${url.origin}/${mode}`,
    );
  }

  it("signs in, serves protected calls and session data, per request", async () => {
    const c = client("per-request");
    const login = await c.call("/login", { body: { userId: "worker-user" } });
    expect(login.status).toBe(200);
    expect(login.headers.getSetCookie().some((line) => line.startsWith("sAccessToken=") && line.includes("HttpOnly"))).toBe(true);
    expect(await (await c.call("/me")).json()).toEqual({ userId: "worker-user", visits: 1 });
    expect(await (await c.call("/me")).json()).toEqual({ userId: "worker-user", visits: 2 });
  });

  it("refreshes an expired token, detects theft, signs out", async () => {
    const c = client("per-request");
    await c.call("/login", { body: { userId: "worker-refresh" } });
    const stolen = c.jar.header("/auth/session/refresh");
    await setNow(now + 61_000);
    const expired = await c.call("/me");
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { code: string }).code).toBe("TRY_REFRESH_TOKEN");
    expect((await c.refresh()).status).toBe(200);
    expect((await c.call("/me")).status).toBe(200);

    await setNow(now + 11_000);
    const replay = await fetch(new URL("/per-request/auth/session/refresh", url), {
      method: "POST",
      headers: { cookie: stolen, rid: "session" },
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ message: "token theft detected" });
    expect((await c.call("/me")).status).toBe(401);

    const other = client("per-request");
    await other.call("/login", { body: { userId: "worker-signout" } });
    expect((await other.call("/auth/signout", { method: "POST" })).status).toBe(200);
    expect(other.jar.header("/me")).toBe("");
  });

  it("answers a bad token with 401 and serves the JWKS", async () => {
    const bad = await fetch(new URL("/per-request/me", url), { headers: { cookie: "sAccessToken=garbage", rid: "anti-csrf" } });
    expect(bad.status).toBe(401);
    const jwks = await fetch(new URL("/per-request/auth/jwt/jwks.json", url));
    expect(jwks.status).toBe(200);
  });

  it("measures per-request construction: the connection, the key load, the calls", async () => {
    const c = client("per-request");
    await c.call("/login", { body: { userId: "worker-timing" } });
    const measure = async (call: () => Promise<Response>) => {
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        expect((await call()).status).toBe(200);
        samples.push(performance.now() - started);
      }
      samples.sort((x, y) => x - y);
      const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]?.toFixed(1);
      return { text: `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`, max: samples.at(-1) ?? 0 };
    };
    const noop = await measure(() => fetch(new URL("/__test/warnings", url)));
    const ping = await measure(() => c.call("/ping"));
    const verify = await measure(() => c.call("/verify"));
    const me = await measure(() => c.call("/me"));
    console.log(`workerd via miniflare, a request without the database: ${noop.text}`);
    console.log(`per request: new postgres.js connection + createSessions + one store query: ${ping.text}`);
    console.log(`per request: the same + key load + getSession: ${verify.text}`);
    console.log(`per request: the same + modifySessionData (GET /me): ${me.text}`);
    expect(me.max).toBeLessThan(5_000);
  });

  it("a module-level instance fails from the second request on, with an error and a warning that say why", async () => {
    const c = client("shared");
    expect((await c.call("/login", { body: { userId: "worker-shared" } })).status).toBe(200);
    await (await fetch(new URL("/__test/warnings", url))).json(); // drop earlier warnings
    const second = await c.call("/login", { body: { userId: "worker-shared" } });
    expect(second.status).toBe(500);
    const body = (await second.json()) as { code: string; message: string; cause: string };
    expect(body.code).toBe("GENERAL_ERROR");
    expect(body.message).toContain("opened by another request");
    expect(body.cause).toContain("Cannot perform I/O on behalf of a different request");
    // sessionkit's own routes report it through onWarning: the line the default one prints has the cause and what to do.
    // postgres.js drops the refused connection and opens the next one in the request at hand, so
    // the failure comes back every time a later request meets a connection of an earlier one.
    const statuses: number[] = [];
    for (let i = 0; i < 4 && !statuses.includes(500); i++) statuses.push((await c.refresh()).status);
    expect(statuses).toContain(500);
    const warnings = (await (await fetch(new URL("/__test/warnings", url))).json()) as string[];
    expect(warnings.some((line) => line.includes("Cannot perform I/O") && line.includes("inside the fetch handler, per request"))).toBe(
      true,
    );
  });
});
