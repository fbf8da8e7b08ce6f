// Cross-site request forgery, per anti-CSRF mode: a request a cross-site form or fetch could
// make (cookies only: no custom header, no or a wrong anti-csrf token) cannot change state;
// queries (GET) still work.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AntiCsrfMode } from "../../src/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { clearsSession, touchesSession } from "./oracle.js";
import { guardProcess } from "./process-guard.js";
import { type Genuine, type Target, createTarget, rawRequest } from "./target.js";

guardProcess();

let db: TestDb;
const targets: Target[] = [];
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  for (const t of targets) await t.close();
  await db?.close();
});

/** What a cross-site page can send: the browser attaches cookies, nothing else of ours. */
function crossSite(t: Target, user: Genuine, path: string, method: string, extra: [string, string][] = []): Promise<Response> {
  const cookie = path.includes("/session/refresh") ? `sRefreshToken=${user.refreshToken}` : `sAccessToken=${user.accessToken}`;
  return t.app(
    rawRequest(path, {
      method,
      headers: [["cookie", cookie], ["content-type", "application/x-www-form-urlencoded"], ["origin", "https://evil.example"], ...extra],
      body: method === "GET" ? undefined : "cart=stolen",
    }),
  );
}

async function code(response: Response): Promise<unknown> {
  return ((await response.clone().json()) as { code?: unknown; message?: unknown }).code;
}

const MUTATIONS = ["POST", "PUT", "PATCH", "DELETE"];

for (const mode of ["via-token", "via-custom-header"] as const satisfies AntiCsrfMode[]) {
  describe(`anti-CSRF "${mode}"`, () => {
    let t: Target;
    let user: Genuine;
    beforeAll(async () => {
      t = createTarget(db, { antiCsrf: mode });
      targets.push(t);
      user = await t.login();
      expect((await user.client.call("/data", { body: { cart: ["mine"] } })).status).toBe(200);
    });

    it("a cross-site mutation is 401 try-refresh-token, changes nothing, clears nothing", async () => {
      for (const method of MUTATIONS) {
        const response = await crossSite(t, user, "/data", method);
        expect(response.status, method).toBe(401);
        expect(await code(response)).toBe("TRY_REFRESH_TOKEN");
        expect(touchesSession(response)).toBe(false);
      }
      const method = await crossSite(t, user, "/data", "POST", [["x-http-method-override", "GET"]]);
      expect(method.status).toBe(401);
      expect(await (await user.client.call("/data")).json()).toEqual({ data: { cart: ["mine"] } });
    });

    it("a cross-site query (GET) is answered", async () => {
      const response = await crossSite(t, user, "/me", "GET");
      expect(response.status).toBe(200);
    });

    it("a cross-site refresh is 401 unauthorised with clearing, and the session survives", async () => {
      const response = await crossSite(t, user, "/auth/session/refresh", "POST");
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: "unauthorised" });
      expect(clearsSession(response)).toBe(true);
      expect(await t.sessions.getSessionInformation(user.handle)).toBeDefined();
    });

    it("a cross-site sign-out is refused and revokes nothing", async () => {
      const response = await crossSite(t, user, "/auth/signout", "POST");
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: "try refresh token" });
      expect(await t.sessions.getSessionInformation(user.handle)).toBeDefined();
    });

    it("the same calls from the real client (SDK headers) succeed", async () => {
      expect((await user.client.call("/data", { body: { cart: ["mine", "more"] } })).status).toBe(200);
      expect((await user.client.refresh()).status).toBe(200);
    });
  });
}

describe('anti-CSRF "via-token": wrong tokens', () => {
  it("a missing, empty, altered or other session's anti-csrf token is refused, with or without rid", async () => {
    const t = createTarget(db, { antiCsrf: "via-token" });
    targets.push(t);
    const user = await t.login();
    const other = await t.login();
    const token = user.antiCsrf ?? "";
    expect(token.length).toBeGreaterThan(20);
    const wrong = [
      undefined,
      "",
      " ",
      other.antiCsrf,
      `${token}x`,
      token.slice(0, -1),
      token.toUpperCase(),
      `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`,
    ];
    for (const value of wrong) {
      const headers: [string, string][] = [
        ["cookie", `sAccessToken=${user.accessToken}`],
        ["rid", "anti-csrf"],
      ];
      if (value !== undefined) headers.push(["anti-csrf", value]);
      const response = await t.app(rawRequest("/data", { method: "POST", headers, body: "{}" }));
      expect(response.status, String(value)).toBe(401);
      expect(await code(response)).toBe("TRY_REFRESH_TOKEN");
      const refresh = await t.app(
        rawRequest("/auth/session/refresh", {
          method: "POST",
          headers: [["cookie", `sRefreshToken=${user.refreshToken}`], ["rid", "session"], ...headers.slice(2)],
        }),
      );
      expect(refresh.status, String(value)).toBe(401);
      expect(clearsSession(refresh)).toBe(true);
    }
    const right = await t.app(
      rawRequest("/data", {
        method: "POST",
        headers: [
          ["cookie", `sAccessToken=${user.accessToken}`],
          ["anti-csrf", token],
        ],
        body: "{}",
      }),
    );
    expect(right.status).toBe(200);
  });
});

describe('anti-CSRF "none"', () => {
  it("accepts cookie-only mutations: it is for SameSite=strict/lax deployments (documented)", async () => {
    const t = createTarget(db, { antiCsrf: "none", cookies: { sameSite: "strict" } });
    targets.push(t);
    const user = await t.login();
    expect((await crossSite(t, user, "/data", "POST")).status).toBe(200);
    expect((await crossSite(t, user, "/auth/session/refresh", "POST")).status).toBe(200);
  });
});
