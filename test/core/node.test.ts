// The core on Node's own http server: IncomingMessage/ServerResponse and the middleware.

import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions, isSessionError } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { CookieJar } from "../helpers/jar.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("node:http", () => {
  it("middleware answers refresh and sign-out, app routes use getSession(req, res)", async () => {
    const clock = testClock();
    const sessions = createSessions({
      store: drizzleStore(db.db),
      accessTokenTtl: 60,
      now: clock.now,
      cors: { origins: ["http://app.test"] },
    });
    const middleware = sessions.middleware();
    const server = await serve((req, res) => {
      middleware(req, res, async () => {
        res.setHeader("content-type", "application/json");
        try {
          if (req.url === "/login") {
            res.setHeader("set-cookie", "theme=dark; Path=/");
            await sessions.createNewSession({ userId: "node-user" }, res);
            res.end("{}");
            return;
          }
          const s = await sessions.getSession(req, res);
          res.end(JSON.stringify({ userId: s.getUserId() }));
        } catch (error) {
          res.statusCode = isSessionError(error) ? error.status : 500;
          res.end(JSON.stringify({ code: isSessionError(error) ? error.code : "?" }));
        }
      });
    });
    try {
      const jar = new CookieJar(clock.now);
      const call = async (path: string, init: RequestInit = {}) => {
        const headers = new Headers(init.headers);
        headers.set("cookie", jar.header(path));
        headers.set("rid", "session");
        const res = await fetch(`${server.base}${path}`, { ...init, headers });
        jar.store(res);
        return res;
      };
      const login = await call("/login", { method: "POST" });
      expect(login.headers.getSetCookie().map((l) => l.split("=")[0])).toEqual(["theme", "sAccessToken", "sRefreshToken"]);
      expect(login.headers.get("front-token")).toBeTruthy();
      expect(await (await call("/me")).json()).toEqual({ userId: "node-user" });
      clock.advance(61_000);
      const expired = await call("/me");
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual({ code: "TRY_REFRESH_TOKEN" });
      const refreshed = await call("/auth/session/refresh", { method: "POST" });
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers.get("front-token")).toBeTruthy();
      expect((await call("/me")).status).toBe(200);
      // CORS: the preflight is answered, and ordinary responses get the headers.
      const preflight = await fetch(`${server.base}/me`, {
        method: "OPTIONS",
        headers: { origin: "http://app.test", "access-control-request-method": "POST", "access-control-request-headers": "rid, x-custom" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("http://app.test");
      expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
      expect(preflight.headers.get("access-control-allow-headers")).toContain("fdi-version");
      expect(preflight.headers.get("access-control-allow-headers")).toContain("x-custom");
      const cross = await call("/me", { headers: { origin: "http://app.test" } });
      expect(cross.headers.get("access-control-allow-origin")).toBe("http://app.test");
      expect(cross.headers.get("access-control-expose-headers")).toContain("front-token");
      const foreign = await call("/me", { headers: { origin: "http://evil.test" } });
      expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
      const out = await call("/auth/signout", { method: "POST" });
      expect(await out.json()).toEqual({ status: "OK" });
      expect(jar.get("sAccessToken")).toBeUndefined();
      expect((await call("/me")).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it("fetch handler and cors() helper give the same CORS headers", async () => {
    const sessions = createSessions({ store: drizzleStore(db.db) });
    const cors = sessions.cors({ origins: (o) => o.endsWith(".example.com") });
    const headers = cors(new Request("http://api/x", { headers: { origin: "https://app.example.com" } }));
    expect(headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const preflight = await sessions.handle(
      new Request("http://api/trpc/me", {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "GET" },
      }),
    );
    expect(preflight?.status).toBe(204);
    expect(
      await sessions.handle(
        new Request("http://api/trpc/me", {
          method: "OPTIONS",
          headers: { origin: "https://evil.com", "access-control-request-method": "GET" },
        }),
      ),
    ).toBeUndefined();
  });
});
