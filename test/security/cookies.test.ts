// Every Set-Cookie of every flow keeps the cookie promises (HttpOnly, Secure unless turned off,
// SameSite, refresh cookie Path limited to the refresh path, Domain only when configured), and
// every clearing really expires both cookies, says `front-token: remove` and sends no anti-csrf.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateSessionsOptions } from "../../src/index.js";
import { TestClient } from "../helpers/app.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { rawHttp, startNodeApp } from "./node-app.js";
import { type CookiePolicy, clearsSession, cookieProblems, parseSetCookie } from "./oracle.js";
import { guardProcess } from "./process-guard.js";
import { ORIGIN, type Target, createTarget, rawRequest } from "./target.js";

guardProcess();

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.close());

const configs: Array<[string, Partial<CreateSessionsOptions>, CookiePolicy]> = [
  ["defaults", {}, { secure: true, sameSite: "Lax", refreshPath: "/auth/session/refresh" }],
  ["secure off for development", { cookies: { secure: false } }, { secure: false, sameSite: "Lax", refreshPath: "/auth/session/refresh" }],
  [
    "SameSite strict, via-token",
    { cookies: { sameSite: "strict" }, antiCsrf: "via-token" },
    { secure: true, sameSite: "Strict", refreshPath: "/auth/session/refresh" },
  ],
  [
    "SameSite none forces Secure",
    { cookies: { sameSite: "none", secure: false } },
    { secure: true, sameSite: "None", refreshPath: "/auth/session/refresh" },
  ],
  [
    "a Domain and another base path",
    { cookies: { domain: "example.com" }, basePath: "/api/auth/" },
    { secure: true, sameSite: "Lax", refreshPath: "/api/auth/session/refresh", domain: "example.com" },
  ],
];

/** Runs one of each flow and hands every response to `check`, labelled. */
async function everyFlow(t: Target, base: string, check: (label: string, response: Response, clears: boolean) => Promise<void>) {
  const client = new TestClient(t.app, () => t.clock.now, ORIGIN);
  const refresh = () => client.call(`${base}/session/refresh`, { method: "POST" });
  await check("sign-in", await client.call("/login", { body: { userId: `cookie-user-${Math.random()}` } }), false);
  const first = client.jar.get("sRefreshToken") ?? "";
  await check("refresh", await refresh(), false);
  await check("updateJWTPayload", await client.call("/payload", { body: { plan: "pro" } }), false);
  await check("revokeSession", await client.call("/revoke", { method: "POST" }), true);
  await check("refresh after revoke", await refresh(), true);
  await check("refresh without a token", await refresh(), true);
  await check("sign-in again", await client.call("/login", { body: { userId: `cookie-user-${Math.random()}` } }), false);
  const stolen = client.jar.get("sRefreshToken") ?? "";
  await check("refresh again", await refresh(), false);
  t.clock.now += 11_000;
  const theft = await t.app(
    rawRequest(`${base}/session/refresh`, {
      method: "POST",
      headers: [
        ["cookie", `sRefreshToken=${stolen}`],
        ["rid", "session"],
        ["anti-csrf", client.antiCsrf ?? ""],
      ],
    }),
  );
  expect(((await theft.clone().json()) as { message: string }).message).toBe("token theft detected");
  await check("token theft", theft, true);
  await check(
    "bad refresh token",
    await t.app(
      rawRequest(`${base}/session/refresh`, {
        method: "POST",
        headers: [
          ["cookie", `sRefreshToken=${first}x`],
          ["rid", "s"],
        ],
      }),
    ),
    true,
  );
  await check("sign-in for sign-out", await client.call("/login", { body: { userId: `cookie-user-${Math.random()}` } }), false);
  await check("sign-out", await client.call(`${base}/signout`, { method: "POST" }), true);
}

for (const [name, options, policy] of configs) {
  describe(`cookies: ${name}`, () => {
    it("every Set-Cookie of every flow keeps its attributes; clearing expires both cookies", async () => {
      const t = createTarget(db, { revocation: "check-database", ...options });
      try {
        const base = t.sessions.config.basePath;
        expect(t.sessions.config.refreshPath).toBe(policy.refreshPath);
        await everyFlow(t, base, async (label, response, clears) => {
          const lines = response.headers.getSetCookie();
          expect(cookieProblems(lines, policy, t.clock.now), label).toEqual([]);
          expect(clearsSession(response), label).toBe(clears);
          if (clears) {
            expect(lines.map((l) => parseSetCookie(l).name).sort(), label).toEqual(["sAccessToken", "sRefreshToken"]);
          } else {
            expect(response.status, label).toBe(200);
            const front = response.headers.get("front-token");
            expect(front && front !== "remove", label).toBeTruthy();
            expect(response.headers.has("anti-csrf"), label).toBe(options.antiCsrf === "via-token");
            expect(response.headers.get("access-control-expose-headers") ?? "", label).toContain("front-token");
          }
        });
      } finally {
        await t.close();
      }
    });
  });
}

describe("cookies through node:http (sessions.middleware)", () => {
  it("refresh, failed refresh and sign-out keep the same attributes", async () => {
    const t = createTarget(db, { cookies: { sameSite: "strict", secure: false } });
    const node = await startNodeApp(t.sessions);
    const policy: CookiePolicy = { secure: false, sameSite: "Strict", refreshPath: "/auth/session/refresh" };
    try {
      const user = await t.login();
      const ok = await rawHttp(node.port, {
        method: "POST",
        path: "/auth/session/refresh",
        headers: [
          ["cookie", `sRefreshToken=${user.refreshToken}`],
          ["rid", "session"],
        ],
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.getSetCookie().length).toBe(2);
      expect(cookieProblems(ok.headers.getSetCookie(), policy, t.clock.now)).toEqual([]);
      const bad = await rawHttp(node.port, {
        method: "POST",
        path: "/auth/session/refresh",
        headers: [
          ["cookie", "sRefreshToken=nope"],
          ["rid", "session"],
        ],
      });
      expect(bad.status).toBe(401);
      expect(clearsSession(bad)).toBe(true);
      expect(cookieProblems(bad.headers.getSetCookie(), policy, t.clock.now)).toEqual([]);
      const access =
        ok.headers
          .getSetCookie()
          .find((l) => l.startsWith("sAccessToken="))
          ?.split(";")[0] ?? "";
      const out = await rawHttp(node.port, {
        method: "POST",
        path: "/auth/signout",
        headers: [
          ["cookie", access],
          ["rid", "session"],
        ],
      });
      expect(out.status).toBe(200);
      expect(clearsSession(out)).toBe(true);
      expect(cookieProblems(out.headers.getSetCookie(), policy, t.clock.now)).toEqual([]);
    } finally {
      await node.close();
      await t.close();
    }
  });
});
