// sessionkit on Cloudflare's workerd (miniflare, from npm): the core's fetch routes and postgres.js
// over workerd's TCP sockets on real Postgres, revocation "check-database". The worker
// (fixtures/worker.ts, bundled with esbuild as wrangler would) keeps one module-level
// createSessions and gives each request its own connection with sessions.withStore(store) (and,
// the old way, builds createSessions per request): sign-in, protected call with
// modifySessionData, expiry and refresh, theft, sign-out, bad tokens, JWKS; what each way costs
// per request (statements counted, times printed). A module-level instance on a module-level
// connection fails from the second request on, with an error and a warning that say why.

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
  type Mode = "per-request" | "module" | "trusting" | "shared" | `cold/${number}`;
  function client(mode: Mode) {
    return new TestClient(
      (request) => fetch(request),
      () => now,
      `${url.origin}/${mode}`,
    );
  }

  describe.each(["module", "per-request"] as const)("%s", (mode) => {
    it("signs in, serves protected calls and session data", async () => {
      const c = client(mode);
      const login = await c.call("/login", { body: { userId: "worker-user" } });
      expect(login.status).toBe(200);
      expect(login.headers.getSetCookie().some((line) => line.startsWith("sAccessToken=") && line.includes("HttpOnly"))).toBe(true);
      expect(await (await c.call("/me")).json()).toEqual({ userId: "worker-user", visits: 1 });
      expect(await (await c.call("/me")).json()).toEqual({ userId: "worker-user", visits: 2 });
    });

    it("refreshes an expired token, detects theft, signs out", async () => {
      const c = client(mode);
      await c.call("/login", { body: { userId: "worker-refresh" } });
      const stolen = c.jar.header("/auth/session/refresh");
      await setNow(now + 61_000);
      const expired = await c.call("/me");
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { code: string }).code).toBe("TRY_REFRESH_TOKEN");
      expect((await c.refresh()).status).toBe(200);
      expect((await c.call("/me")).status).toBe(200);

      await setNow(now + 11_000);
      const replay = await fetch(new URL(`/${mode}/auth/session/refresh`, url), {
        method: "POST",
        headers: { cookie: stolen, rid: "session" },
      });
      expect(replay.status).toBe(401);
      expect(await replay.json()).toEqual({ message: "token theft detected" });
      expect((await c.call("/me")).status).toBe(401);

      const other = client(mode);
      await other.call("/login", { body: { userId: "worker-signout" } });
      expect((await other.call("/auth/signout", { method: "POST" })).status).toBe(200);
      expect(other.jar.header("/me")).toBe("");
    });

    it("answers a bad token with 401 and serves the JWKS", async () => {
      const bad = await fetch(new URL(`/${mode}/me`, url), { headers: { cookie: "sAccessToken=garbage", rid: "anti-csrf" } });
      expect(bad.status).toBe(401);
      const jwks = await fetch(new URL(`/${mode}/auth/jwt/jwks.json`, url));
      expect(jwks.status).toBe(200);
      expect(((await jwks.json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    });
  });

  it("withStore: statements per request (keys loaded once per isolate) and cold concurrent first requests", async () => {
    const queries = async (mode: Mode, path: string, c = client(mode)) => {
      const res = await c.call(path);
      expect(res.status).toBe(200);
      return Number(res.headers.get("x-queries"));
    };
    const before = client("per-request");
    await before.call("/login", { body: { userId: "worker-count" } });
    // Per request: the keys are loaded again (1) and the session checked (1).
    expect(await queries("per-request", "/verify", before)).toBe(2);
    const after = client("module");
    await after.call("/login", { body: { userId: "worker-count" } });
    await after.call("/verify");
    // withStore: the keys stay loaded; check-database asks one statement.
    expect(await queries("module", "/verify", after)).toBe(1);
    const trusting = client("trusting");
    await trusting.call("/login", { body: { userId: "worker-count" } });
    // Revocation "none": a verification sends nothing, so the request's client never connects.
    expect(await queries("trusting", "/verify", trusting)).toBe(0);

    // First requests arriving together on a fresh isolate-level instance: each loads the keys
    // on its own connection (none waits on another request's I/O), all succeed.
    const cold = client("cold/1");
    expect((await cold.call("/login", { body: { userId: "worker-cold" } })).status).toBe(200);
    const fresh = client("cold/2");
    fresh.jar.store(new Headers([["set-cookie", `sAccessToken=${cold.jar.get("sAccessToken")}; Path=/`]]));
    const together = await Promise.all(Array.from({ length: 8 }, () => fresh.call("/verify")));
    expect(together.map((r) => r.status)).toEqual(Array(8).fill(200));
  });

  it("measures per-request cost: createSessions per request against withStore on a module-level instance", async () => {
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
    const results: Record<string, string> = {};
    results["a request without the database"] = (await measure(() => fetch(new URL("/__test/warnings", url)))).text;
    for (const mode of ["per-request", "module", "trusting"] as const) {
      const c = client(mode);
      await c.call("/login", { body: { userId: `worker-timing-${mode}` } });
      await c.call("/verify");
      results[`${mode}: one store query (/ping)`] = (await measure(() => c.call("/ping"))).text;
      results[`${mode}: getSession (/verify)`] = (await measure(() => c.call("/verify"))).text;
      const me = await measure(() => c.call("/me"));
      results[`${mode}: getSession + modifySessionData (/me)`] = me.text;
      expect(me.max).toBeLessThan(5_000);
    }
    for (const [label, text] of Object.entries(results)) console.log(`workerd via miniflare, ${label}: ${text}`);
  }, 180_000);

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
    expect(
      warnings.some(
        (line) =>
          line.includes("Cannot perform I/O") &&
          line.includes("inside the fetch handler, per request") &&
          line.includes("sessions.withStore"),
      ),
    ).toBe(true);
  });
});
