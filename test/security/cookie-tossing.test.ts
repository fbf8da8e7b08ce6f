// Cookie tossing: a sibling subdomain (evil.example.com) plants its own sAccessToken or
// sRefreshToken for the parent domain (Domain=example.com, any Path) before the victim signs in
// on app.example.com. A browser then sends two cookies of one name; the tossed one first when its
// Path is longer or it is older. Duplicates are never served: getSession asks for a refresh
// (401 TRY_REFRESH_TOKEN), refresh answers as supertokens-node does (500 "multiple session
// cookies", or with `cookies.olderCookieDomain` 200 and the older Domain's cookies cleared).
// The browser side is the cookie jar of test/helpers/jar.ts (Domain, Path and send order).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../helpers/app.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { parseSetCookie } from "./oracle.js";
import { guardProcess } from "./process-guard.js";
import { type Target, createTarget } from "./target.js";

guardProcess();

const APP = "https://app.example.com";
const REFRESH_PATH = "/auth/session/refresh";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.close());

interface Variant {
  label: string;
  name: "sAccessToken" | "sRefreshToken";
  /** Where the sibling plants it: always Domain=example.com, at this Path. */
  path: string;
}

const variants: Variant[] = [
  { label: "sAccessToken on the parent Domain, same Path", name: "sAccessToken", path: "/" },
  { label: "sAccessToken on the parent Domain, Path=/me (longer, so sent first to /me)", name: "sAccessToken", path: "/me" },
  { label: "sAccessToken on the parent Domain, Path=/auth (sent first to refresh)", name: "sAccessToken", path: "/auth" },
  { label: "sRefreshToken on the parent Domain, same Path", name: "sRefreshToken", path: REFRESH_PATH },
  { label: "sRefreshToken on the parent Domain, Path=/ (older, so sent first)", name: "sRefreshToken", path: "/" },
];

async function attackerTokens(t: Target): Promise<{ access: string; refresh: string; userId: string }> {
  const attacker = new TestClient(t.app, () => t.clock.now, "https://evil.example.com");
  const userId = `attacker-${Math.random().toString(36).slice(2)}`;
  expect((await attacker.call("/login", { body: { userId } })).status).toBe(200);
  return { access: attacker.jar.get("sAccessToken") ?? "", refresh: attacker.jar.get("sRefreshToken") ?? "", userId };
}

/** The victim's browser on app.example.com, with the sibling's cookie planted first. */
async function victimWithTossedCookie(t: Target, variant: Variant) {
  const tossed = await attackerTokens(t);
  const victim = new TestClient(t.app, () => t.clock.now, APP);
  victim.jar.set(variant.name, variant.name === "sAccessToken" ? tossed.access : tossed.refresh, variant.path, "example.com");
  const userId = `victim-${Math.random().toString(36).slice(2)}`;
  expect((await victim.call("/login", { body: { userId } })).status).toBe(200);
  expect(victim.jar.all(variant.name)).toHaveLength(2);
  return { victim, userId, tossed };
}

const ourCookieLines = (response: Response) => response.headers.getSetCookie().map(parseSetCookie);

describe("duplicate auth cookies (no olderCookieDomain)", () => {
  let t: Target;
  beforeAll(() => {
    t = createTarget(db, {});
  });
  afterAll(() => t.close());

  for (const variant of variants) {
    it(`${variant.label}: never served, never rotated into our cookies`, async () => {
      const { victim, userId, tossed } = await victimWithTossedCookie(t, variant);
      const tossedValue = variant.name === "sAccessToken" ? tossed.access : tossed.refresh;

      const me = await victim.call("/me");
      if (seesDuplicate(victim, "/me", variant.name)) {
        expect(me.status).toBe(401);
        expect(await me.json()).toMatchObject({ code: "TRY_REFRESH_TOKEN" });
        expect(me.headers.getSetCookie()).toEqual([]);
      } else {
        expect(await me.json()).toMatchObject({ userId });
      }

      expect(seesDuplicate(victim, REFRESH_PATH, variant.name) || variant.path === "/me").toBe(true);
      const refresh = await victim.refresh();
      if (seesDuplicateBefore(variant)) {
        expect(refresh.status).toBe(500);
        expect(((await refresh.json()) as { message: string }).message).toContain("The request contains multiple session cookies.");
        expect(refresh.headers.getSetCookie()).toEqual([]);
        expect(refresh.headers.get("front-token")).toBeNull();
        expect(t.warnings.some((w) => w.message.includes("multiple session cookies"))).toBe(true);
      } else {
        expect(refresh.status).toBe(200);
      }
      // Nothing of the attacker's ended up in the victim's host-only cookies, and both sessions live on.
      const hostOnly = victim.jar.all(variant.name).filter((c) => c.domain === undefined);
      expect(hostOnly).toHaveLength(1);
      expect(hostOnly[0]?.value).not.toBe(tossedValue);
      expect(await t.sessions.getAllSessionHandlesForUser(userId)).toHaveLength(1);
      expect(await t.sessions.getAllSessionHandlesForUser(tossed.userId)).toHaveLength(1);
    });
  }
});

/** Whether a request to `path` carries two cookies of `name`. */
function seesDuplicate(client: TestClient, path: string, name: string): boolean {
  return (client.jar.header(path).match(new RegExp(`(^|; )${name}=`, "g")) ?? []).length === 2;
}

/** Whether the variant's tossed cookie reaches the refresh path. */
function seesDuplicateBefore(variant: Variant): boolean {
  return variant.path !== "/me";
}

describe("duplicate auth cookies with cookies.olderCookieDomain", () => {
  let t: Target;
  beforeAll(() => {
    t = createTarget(db, { cookies: { olderCookieDomain: "example.com" } });
  });
  afterAll(() => t.close());

  for (const variant of variants) {
    if (!seesDuplicateBefore(variant)) continue;
    it(`${variant.label}: refresh clears the older Domain's cookie and answers 200`, async () => {
      const { victim, userId } = await victimWithTossedCookie(t, variant);
      const refresh = await victim.refresh();
      expect(refresh.status).toBe(200);
      expect(((await refresh.json()) as { message: string }).message).toContain("The request contains multiple session cookies.");
      const lines = ourCookieLines(refresh);
      expect(lines.map((l) => l.name)).toEqual([variant.name]);
      expect(lines[0]?.value).toBe("");
      expect(lines[0]?.attributes.get("domain")).toBe("example.com");
      expect(lines[0]?.attributes.get("path")).toBe(variant.name === "sAccessToken" ? "/" : REFRESH_PATH);

      const samePath = variant.path === (variant.name === "sAccessToken" ? "/" : REFRESH_PATH);
      if (samePath) {
        // The clearing removed the tossed cookie: the victim's own session goes on.
        expect(victim.jar.all(variant.name)).toHaveLength(1);
        expect(await (await victim.call("/me")).json()).toMatchObject({ userId });
        expect((await victim.refresh()).status).toBe(200);
        expect(await (await victim.call("/me")).json()).toMatchObject({ userId });
      } else {
        // A cookie at another Path survives a clearing at ours: still two, still never served.
        expect(victim.jar.all(variant.name)).toHaveLength(2);
        const again = await victim.refresh();
        expect(again.status).toBe(200);
        expect(again.headers.get("front-token")).toBeNull();
        if (variant.name === "sAccessToken" && variant.path === "/") expect((await victim.call("/me")).status).toBe(401);
      }
    });
  }
});
