// Hostile Authorization values in header mode, through the fetch app and node:http: every one
// is a 401 with the code supertokens-node would give (a value that is not one of our access
// tokens is ignored, so "no access token" → UNAUTHORISED), never a 500.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { createTestApp } from "../helpers/app.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { HeaderClient } from "../helpers/header-client.js";
import { startNodeApp } from "./node-app.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

describe("hostile Authorization headers", () => {
  it("→ 401 with the right code on protected routes, refresh and sign-out, via fetch and node:http", async () => {
    const sessions = createSessions({ store: drizzleStore(db.db), revocation: "check-database", cookies: { secure: false } });
    const app = createTestApp(sessions);
    const node = await startNodeApp(sessions);
    try {
      const c = new HeaderClient(app);
      await c.call("/login", { body: { userId: "hostile-authz" } });
      const access = c.accessToken as string;
      const refresh = c.refreshToken as string;
      const [h, p] = access.split(".");
      const cases: Array<[label: string, value: string, me: string, refresh: string]> = [
        ["empty", "", "UNAUTHORISED", "unauthorised"],
        ["Bearer alone", "Bearer", "UNAUTHORISED", "unauthorised"],
        ["Bearer and spaces", "Bearer    ", "UNAUTHORISED", "unauthorised"],
        ["lower-case scheme", `bearer ${access}`, "UNAUTHORISED", "unauthorised"],
        ["two tokens", `Bearer ${access} ${access}`, "UNAUTHORISED", "unauthorised"],
        ["two headers joined", `Bearer ${access}, Bearer ${access}`, "UNAUTHORISED", "unauthorised"],
        ["refresh token as access token", `Bearer ${refresh}`, "UNAUTHORISED", "ok"],
        ["access token as refresh token", `Bearer ${access}`, "ok", "unauthorised"],
        ["bad signature", `Bearer ${h}.${p}.AAAA`, "TRY_REFRESH_TOKEN", "unauthorised"],
        ["empty signature", `Bearer ${h}.${p}.`, "TRY_REFRESH_TOKEN", "unauthorised"],
        ["10 KB", `Bearer ${"a".repeat(10 * 1024)}`, "UNAUTHORISED", "unauthorised"],
        [
          "10 KB JWT-shaped",
          `Bearer ${h}.${Buffer.from(JSON.stringify({ sub: "x", sessionHandle: "y", exp: 1, iat: 1, pad: "z".repeat(10_000) })).toString("base64url")}.AAAA`,
          "TRY_REFRESH_TOKEN",
          "unauthorised",
        ],
        ["control characters", "Bearer \u0001\u0002", "UNAUTHORISED", "unauthorised"],
        ["Basic", "Basic dXNlcjpwYXNz", "UNAUTHORISED", "unauthorised"],
      ];
      for (const [label, value, meCode, refreshMessage] of cases) {
        for (const via of ["fetch", "node"] as const) {
          const send = async (path: string, method: string) => {
            const headers = { authorization: value, rid: "session", "st-auth-mode": "header" };
            if (via === "fetch") return app(new Request(`http://localhost${path}`, { method, headers }));
            try {
              return await fetch(`http://127.0.0.1:${node.port}${path}`, { method, headers });
            } catch (error) {
              // fetch itself refuses some header bytes: nothing reached the server.
              return new Response(JSON.stringify({ code: "UNAUTHORISED", message: "unauthorised", refused: String(error) }), {
                status: 401,
              });
            }
          };
          const tag = `${label} via ${via}`;
          if (via === "fetch") {
            const me = await send("/me", "GET");
            if (meCode === "ok") expect(me.status, tag).toBe(200);
            else {
              expect(me.status, tag).toBe(401);
              expect((await me.json()).code, tag).toBe(meCode);
            }
          }
          // Refresh with "refresh token as access token" would rotate the real token: checked last, below.
          if (refreshMessage !== "ok") {
            const r = await send("/auth/session/refresh", "POST");
            expect(r.status, tag).toBe(401);
            expect((await r.json()).message, tag).toBe(refreshMessage);
          }
          // A genuine access token signs out for real (that is its job): only hostile values are sent there.
          if (meCode !== "ok") {
            const out = await send("/auth/signout", "POST");
            expect([200, 401], tag).toContain(out.status);
            if (out.status === 401) expect(["unauthorised", "try refresh token"], tag).toContain((await out.json()).message);
          }
        }
      }
      // The reverse works as designed: the refresh token refreshes.
      expect((await c.refresh()).status).toBe(200);
    } finally {
      await node.close();
      await sessions.close();
    }
  });
});
