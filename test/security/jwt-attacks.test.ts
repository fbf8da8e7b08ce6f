// Named JWT attacks: each forged or unusable access token is a 401 TRY_REFRESH_TOKEN on a
// protected route, never accepted, never a 500, and sign-out with it revokes nothing.

import { decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { b64json, b64url, decode, publicKeyForms, signHs256, signRaw, signUnchecked, signingKeys } from "./forge.js";
import { guardProcess } from "./process-guard.js";
import { type Genuine, type Target, createTarget, rawRequest } from "./target.js";

guardProcess();

let db: TestDb;
let otherDb: TestDb;
let target: Target;
let victim: Genuine;
let claims: Record<string, unknown>;
let kid: string;
let alg: string;
let privateJwk: Awaited<ReturnType<typeof signingKeys>>[number]["privateJwk"];

beforeAll(async () => {
  [db, otherDb] = await Promise.all([createTestDb(), createTestDb()]);
  target = createTarget(db);
  victim = await target.login({ role: "member" });
  const { header, payload } = decode(victim.accessToken);
  claims = payload;
  kid = String(header.kid);
  const [key] = await signingKeys(db);
  if (!key) throw new Error("no signing key");
  alg = key.algorithm;
  privateJwk = key.privateJwk;
});
afterAll(async () => {
  await target?.close();
  await Promise.all([db?.close(), otherDb?.close()]);
});

/** A protected GET and a sign-out with `token`: both refused, nothing revoked, nothing cleared. */
async function expectRefused(token: string, t: Target = target, who: Genuine = victim) {
  const cookie = `sAccessToken=${token}`;
  const me = await t.app(
    rawRequest("/me", {
      headers: [
        ["cookie", cookie],
        ["rid", "anti-csrf"],
      ],
    }),
  );
  expect(me.status).toBe(401);
  expect(((await me.json()) as { code: string }).code).toBe("TRY_REFRESH_TOKEN");
  expect(me.headers.getSetCookie()).toEqual([]);
  const out = await t.app(
    rawRequest("/auth/signout", {
      method: "POST",
      headers: [
        ["cookie", cookie],
        ["rid", "session"],
      ],
    }),
  );
  expect(out.status).toBe(401);
  expect(await out.json()).toEqual({ message: "try refresh token" });
  expect(await t.sessions.getSessionInformation(who.handle)).toBeDefined();
}

const header = () => ({ typ: "JWT", kid });
const signed = (payload: unknown, extraHeader: Record<string, unknown> = {}) =>
  signRaw({ ...header(), ...extraHeader }, typeof payload === "string" ? payload : JSON.stringify(payload), privateJwk, alg);

describe("the genuine token", () => {
  it("is accepted (so the refusals below are about the attack, not the setup)", async () => {
    const me = await target.app(rawRequest("/me", { headers: [["cookie", `sAccessToken=${victim.accessToken}`]] }));
    expect(me.status).toBe(200);
    const resigned = await signed(claims);
    const again = await target.app(rawRequest("/me", { headers: [["cookie", `sAccessToken=${resigned}`]] }));
    expect(again.status).toBe(200);
  });
});

describe("signature attacks", () => {
  it("alg none (and None, NONE; with and without a signature) is refused", async () => {
    for (const none of ["none", "None", "NONE", "nOnE"]) {
      const input = `${b64json({ alg: none, typ: "JWT", kid })}.${b64json(claims)}`;
      await expectRefused(`${input}.`);
      await expectRefused(`${input}.${victim.accessToken.split(".")[2]}`);
    }
  });

  it("HS256 signed with the public key from the JWKS (algorithm confusion) is refused", async () => {
    const jwks = await target.app(rawRequest("/auth/jwt/jwks.json"));
    const { keys } = (await jwks.json()) as { keys: Array<Record<string, string>> };
    const published = keys.find((k) => k.kid === kid);
    expect(published).toBeDefined();
    for (const [, secret] of publicKeyForms(published as never)) {
      await expectRefused(signHs256(header(), claims, secret));
    }
    // The classic form of the attack is on RSA keys: the same against an RS256 deployment.
    const rsa = createTarget(db, { algorithm: "RS256" });
    try {
      const rsaVictim = await rsa.login({ role: "member" });
      const rsaKid = String(decodeProtectedHeader(rsaVictim.accessToken).kid);
      const rsaKeys = (await (await rsa.app(rawRequest("/auth/jwt/jwks.json"))).json()) as { keys: Array<Record<string, string>> };
      const rsaKey = rsaKeys.keys.find((k) => k.kid === rsaKid && k.kty === "RSA");
      expect(rsaKey).toBeDefined();
      for (const [, secret] of publicKeyForms(rsaKey as never)) {
        await expectRefused(signHs256({ ...header(), kid: rsaKid }, claims, secret), rsa, rsaVictim);
      }
    } finally {
      await rsa.close();
    }
  });

  it("a token signed by another deployment's key is refused, under its own kid or ours", async () => {
    const other = createTarget(otherDb);
    try {
      const stranger = await other.login({ role: "admin" });
      await expectRefused(stranger.accessToken);
      const [theirs] = await signingKeys(otherDb);
      if (!theirs) throw new Error("no key in the other deployment");
      await expectRefused(await signRaw(header(), JSON.stringify(claims), theirs.privateJwk, theirs.algorithm));
    } finally {
      await other.close();
    }
  });

  it("an attacker key embedded in the header (jwk, jku, x5u) is ignored", async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    const jwk = await exportJWK(pair.privateKey);
    const publicJwk = await exportJWK(pair.publicKey);
    for (const extra of [{ jwk: publicJwk }, { jku: "https://evil.example/jwks.json" }, { x5u: "https://evil.example/cert" }]) {
      await expectRefused(await signRaw({ ...header(), ...extra }, JSON.stringify(claims), jwk, "RS256"));
    }
  });

  it("a valid token with a changed payload and the original signature is refused", async () => {
    const [h, , s] = victim.accessToken.split(".");
    for (const change of [
      { sub: "admin" },
      { role: "admin" },
      { exp: Number(claims.exp) + 3600 },
      { sessionHandle: "00000000-0000-4000-8000-000000000000" },
    ]) {
      await expectRefused(`${h}.${b64json({ ...claims, ...change })}.${s}`);
    }
    // Same claims, re-encoded differently (key order, spacing): different signing input.
    await expectRefused(`${h}.${b64url(JSON.stringify(claims, null, 1))}.${s}`);
  });

  it("truncated, padded and re-segmented tokens are refused", async () => {
    const t = victim.accessToken;
    for (const bad of [
      t.slice(0, -1),
      t.slice(0, t.lastIndexOf(".")),
      `${t}.`,
      `${t}=`,
      `.${t}`,
      t.split(".").reverse().join("."),
      t.replace(/\./g, ".."),
    ]) {
      await expectRefused(bad);
    }
  });
});

describe("key id attacks", () => {
  const kids: Array<[string, unknown]> = [
    ["unknown", "no-such-key"],
    ["path traversal", "../../../../etc/passwd"],
    ["SQL-ish", "' OR '1'='1'; DROP TABLE sessionkit_keys; --"],
    ["10 KB", "k".repeat(10 * 1024)],
    ["empty", ""],
    ["a number", 42],
    ["an object", { $ne: null }],
    ["null", null],
  ];
  for (const [name, value] of kids) {
    it(`kid ${name} is refused, validly signed or not`, async () => {
      await expectRefused(await signed(claims, { kid: value }));
      await expectRefused(signHs256({ typ: "JWT", kid: value }, claims, "secret"));
    });
  }

  it("the keys table survived the SQL-ish kid", async () => {
    expect((await signingKeys(db)).length).toBeGreaterThan(0);
  });
});

describe("claim attacks behind a valid signature", () => {
  const now = () => Math.floor(target.clock.now / 1000);
  const cases: Array<[string, () => unknown]> = [
    ["expired", () => ({ ...claims, exp: now() - 1 })],
    ["nbf in the future", () => ({ ...claims, nbf: now() + 3600 })],
    ["iat in the future", () => ({ ...claims, iat: now() + 3600 })],
    ["no sub", () => ({ ...claims, sub: undefined })],
    ["sub a number", () => ({ ...claims, sub: 42 })],
    ["sub empty", () => ({ ...claims, sub: "" })],
    ["no sessionHandle", () => ({ ...claims, sessionHandle: undefined })],
    ["sessionHandle an object", () => ({ ...claims, sessionHandle: { $gt: "" } })],
    ["sessionHandle an array", () => ({ ...claims, sessionHandle: [claims.sessionHandle] })],
    ["no exp", () => ({ ...claims, exp: undefined })],
    ["exp a string", () => ({ ...claims, exp: String(claims.exp) })],
    ["exp infinite-ish", () => ({ ...claims, exp: 1e308 * 10 })],
    ["no iat", () => ({ ...claims, iat: undefined })],
    ["iat a string", () => ({ ...claims, iat: String(claims.iat) })],
    ["iat a fraction", () => ({ ...claims, iat: Number(claims.iat) + 0.5 })],
    ["antiCsrfToken a number", () => ({ ...claims, antiCsrfToken: 7 })],
    ["payload an array", () => [claims]],
    ["payload null", () => null],
    ["payload a string", () => "claims"],
    ["payload a number", () => 1],
    ["payload not JSON", () => "\u0000not json{"],
  ];
  for (const [name, make] of cases) {
    it(`${name} is refused`, async () => {
      const payload = make();
      await expectRefused(await signed(typeof payload === "string" && name === "payload not JSON" ? payload : JSON.stringify(payload)));
    });
  }

  it("a token past its exp (the clock moved) is TRY_REFRESH_TOKEN, and a refresh cures it", async () => {
    const t = createTarget(db, { accessTokenTtl: 60 });
    try {
      const user = await t.login();
      t.clock.now += 61_000;
      await expectRefused(user.accessToken, t, user);
      expect((await user.client.refresh()).status).toBe(200);
      expect((await user.client.call("/me")).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it("a typ other than JWT is refused", async () => {
    await expectRefused(await signed(claims, { typ: "at+jwt" }));
    await expectRefused(await signed(claims, { typ: undefined }));
  });

  it("a critical header we do not understand is refused", async () => {
    // Control: the unchecked signer makes tokens we accept.
    const control = signUnchecked(header(), claims, privateJwk, alg);
    expect((await target.app(rawRequest("/me", { headers: [["cookie", `sAccessToken=${control}`]] }))).status).toBe(200);
    await expectRefused(signUnchecked({ ...header(), crit: ["exp"], exp: 1 }, claims, privateJwk, alg));
    await expectRefused(signUnchecked({ ...header(), b64: false, crit: ["b64"] }, claims, privateJwk, alg));
  });
});
