// Named refresh-token attacks. Only a genuine token that was rotated away (outside the grace
// window) counts as theft and ends the session; forged, swapped or misdirected tokens are a
// plain 401 "unauthorised" that leaves the victim's session alone.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { clearsSession } from "./oracle.js";
import { guardProcess } from "./process-guard.js";
import { type Genuine, type Target, createTarget, rawRequest } from "./target.js";

guardProcess();

let db: TestDb;
let target: Target;
beforeAll(async () => {
  db = await createTestDb();
  target = createTarget(db, { revocation: "check-database" });
});
afterAll(async () => {
  await target?.close();
  await db?.close();
});

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** POST /auth/session/refresh with exactly this refresh cookie (and the SDK's rid header). */
function refreshWith(token: string, t: Target = target): Promise<Response> {
  return t.app(
    rawRequest("/auth/session/refresh", {
      method: "POST",
      headers: [
        ["cookie", `sRefreshToken=${token}`],
        ["rid", "session"],
      ],
    }),
  );
}

async function expectUnauthorisedRefresh(response: Response) {
  expect(response.status).toBe(401);
  expect(await response.json()).toEqual({ message: "unauthorised" });
  expect(clearsSession(response)).toBe(true);
}

async function expectAlive(user: Genuine) {
  expect(await target.sessions.getSessionInformation(user.handle)).toBeDefined();
  const me = await target.app(rawRequest("/me", { headers: [["cookie", `sAccessToken=${target.tokensOf(user.client).accessToken}`]] }));
  expect(me.status).toBe(200);
  // And it can still refresh with its own current token.
  expect((await user.client.refresh()).status).toBe(200);
}

describe("reuse of a rotated-away refresh token", () => {
  it("outside the grace window is theft: 401, clearing, the whole session revoked", async () => {
    const user = await target.login();
    const old = user.refreshToken;
    expect((await user.client.refresh()).status).toBe(200);
    const current = target.tokensOf(user.client);
    target.clock.now += 11_000;
    const theft = await refreshWith(old);
    expect(theft.status).toBe(401);
    expect(await theft.json()).toEqual({ message: "token theft detected" });
    expect(clearsSession(theft)).toBe(true);
    expect(await target.sessions.getSessionInformation(user.handle)).toBeUndefined();
    // Neither side of the split can go on: the current refresh token and access token are dead too.
    await expectUnauthorisedRefresh(await refreshWith(current.refreshToken));
    const me = await target.app(rawRequest("/me", { headers: [["cookie", `sAccessToken=${current.accessToken}`]] }));
    expect(me.status).toBe(401);
  });

  it("inside the grace window is two tabs racing: both end on the same current token", async () => {
    const user = await target.login();
    const old = user.refreshToken;
    const first = await user.client.refresh();
    expect(first.status).toBe(200);
    target.clock.now += 5_000;
    const second = await refreshWith(old);
    expect(second.status).toBe(200);
    const cookieOf = (r: Response) =>
      r.headers
        .getSetCookie()
        .find((l) => l.startsWith("sRefreshToken="))
        ?.split(";")[0];
    expect(cookieOf(second)).toBe(cookieOf(first));
    await expectAlive(user);
  });

  it("a token two rotations old is theft even inside the window of the last rotation", async () => {
    const user = await target.login();
    const oldest = user.refreshToken;
    expect((await user.client.refresh()).status).toBe(200);
    target.clock.now += 11_000;
    expect((await user.client.refresh()).status).toBe(200);
    const theft = await refreshWith(oldest);
    expect(await theft.json()).toEqual({ message: "token theft detected" });
    expect(await target.sessions.getSessionInformation(user.handle)).toBeUndefined();
  });
});

describe("tokens that are not this session's current token", () => {
  it("another session's token with the handle swapped is refused and revokes nobody", async () => {
    const victim = await target.login();
    const attacker = await target.login();
    const [, ...rest] = attacker.refreshToken.split(".");
    await expectUnauthorisedRefresh(await refreshWith([victim.handle, ...rest].join(".")));
    const [, ...victimRest] = victim.refreshToken.split(".");
    await expectUnauthorisedRefresh(await refreshWith([attacker.handle, ...victimRest].join(".")));
    await expectAlive(victim);
    await expectAlive(attacker);
  });

  it("a forged token with the victim's valid handle does not revoke the victim (even long after)", async () => {
    const victim = await target.login();
    expect((await victim.client.refresh()).status).toBe(200);
    target.clock.now += 60_000;
    const random = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    const [, gen, secret, tag] = victim.refreshToken.split(".") as [string, string, string, string];
    const forgeries = [
      `${victim.handle}.0.${random()}.${random()}`,
      `${victim.handle}.1.${random()}.${random()}`,
      `${victim.handle}.${Number(gen) + 1}.${secret}.${tag}`,
      `${victim.handle}.${gen}.${random()}.${tag}`,
      `${victim.handle}.${gen}.${secret}.${random()}`,
      `${victim.handle}.00.${secret}.${tag}`,
      `${victim.handle.toUpperCase()}.${gen}.${secret}.${tag}`,
    ];
    for (const forged of forgeries) await expectUnauthorisedRefresh(await refreshWith(forged));
    await expectAlive(victim);
  });

  it("a non-canonical base64url spelling of the current token is refused, not taken for theft", async () => {
    const victim = await target.login();
    const [handle, gen, secret, tag] = victim.refreshToken.split(".") as [string, string, string, string];
    // 32 bytes use 4 of the last character's 6 bits: setting a spare bit decodes to the same bytes.
    const last = B64URL.indexOf(tag.slice(-1));
    const variant = `${handle}.${gen}.${secret}.${tag.slice(0, -1)}${B64URL[last | 1]}`;
    expect(variant).not.toBe(victim.refreshToken);
    expect(Buffer.from(variant.split(".")[3] ?? "", "base64url")).toEqual(Buffer.from(tag, "base64url"));
    await expectUnauthorisedRefresh(await refreshWith(variant));
    await expectAlive(victim);
  });

  it("a refresh token sent as the access token is TRY_REFRESH_TOKEN on a normal route", async () => {
    const user = await target.login();
    const me = await target.app(rawRequest("/me", { headers: [["cookie", `sAccessToken=${user.refreshToken}`]] }));
    expect(me.status).toBe(401);
    expect(((await me.json()) as { code: string }).code).toBe("TRY_REFRESH_TOKEN");
    // The refresh cookie alone on a normal route is no session at all.
    const alone = await target.app(rawRequest("/me", { headers: [["cookie", `sRefreshToken=${user.refreshToken}`]] }));
    expect(((await alone.json()) as { code: string }).code).toBe("UNAUTHORISED");
    await expectAlive(user);
  });

  it("an access token sent to the refresh path is refused and revokes nothing", async () => {
    const user = await target.login();
    await expectUnauthorisedRefresh(await refreshWith(user.accessToken));
    const both = await target.app(
      rawRequest("/auth/session/refresh", {
        method: "POST",
        headers: [
          ["cookie", `sAccessToken=${user.accessToken}`],
          ["rid", "session"],
        ],
      }),
    );
    await expectUnauthorisedRefresh(both);
    await expectAlive(user);
  });

  it("an expired refresh token is refused with clearing", async () => {
    const t = createTarget(db, { refreshTokenTtl: 120, accessTokenTtl: 60 });
    try {
      const user = await t.login();
      t.clock.now += 121_000;
      await expectUnauthorisedRefresh(await refreshWith(user.refreshToken, t));
    } finally {
      await t.close();
    }
  });
});
