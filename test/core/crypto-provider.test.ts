// The crypto provider: node:crypto (synchronous) where the runtime has it, WebCrypto elsewhere.
// Both must produce tokens any JOSE library accepts, and the same HMAC tags, so instances on
// different runtimes share one database; an upgrade from the RS256 default keeps old tokens valid.

import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cryptoProvider } from "../../src/core/crypto.js";
import { base64url, hmac, importHmacKey, sha256 } from "../../src/core/encoding.js";
import { type SigningAlgorithm, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());
afterEach(() => void cryptoProvider("node"));

const SECRET = "crypto-provider-test-secret-0123456789abcdef";

describe("crypto provider", () => {
  it("uses node:crypto on Node", () => {
    expect(cryptoProvider()).toBe("node");
  });

  it("gives the same SHA-256 and HMAC on both providers", async () => {
    const raw = new Uint8Array(32).map((_, i) => i * 7);
    const tags: string[] = [];
    const digests: string[] = [];
    for (const provider of ["node", "webcrypto"] as const) {
      cryptoProvider(provider);
      tags.push(base64url(await hmac(await importHmacKey(raw), "handle.0.secret")));
      digests.push(base64url(await sha256("abc")));
    }
    expect(tags[0]).toBe(tags[1]);
    expect(digests).toEqual(["ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0", "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"]);
  });

  for (const provider of ["node", "webcrypto"] as const) {
    it.each(["RS256", "ES256", "EdDSA"] as SigningAlgorithm[])(
      `${provider}: %s tokens verify with jose against the JWKS`,
      async (algorithm) => {
        cryptoProvider(provider);
        const clock = testClock();
        const sessions = createSessions({ store: drizzleStore(db.db), algorithm, secret: SECRET, now: clock.now });
        const c = new TestClient(createTestApp(sessions), clock.now);
        await c.call("/login", { body: { userId: `${provider}-${algorithm}` } });
        const token = c.jar.get("sAccessToken") as string;
        expect(decodeProtectedHeader(token)).toMatchObject({ alg: algorithm, typ: "JWT" });
        const jwks = await (await c.call("/auth/jwt/jwks.json")).json();
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
          currentDate: new Date(clock.now()),
          algorithms: [algorithm],
        });
        expect(payload.sub).toBe(`${provider}-${algorithm}`);
        expect((await c.call("/me")).status).toBe(200);
        // A refresh on this provider, then a protected call with the new token.
        expect((await c.call("/auth/session/refresh", { method: "POST", headers: { rid: "session" } })).status).toBe(200);
        expect((await c.call("/me")).status).toBe(200);
        await sessions.close();
      },
    );
  }

  it("instances on different providers share sessions: a refresh token minted on one refreshes on the other", async () => {
    const clock = testClock();
    cryptoProvider("webcrypto");
    const web = createSessions({ store: drizzleStore(db.db), secret: SECRET, now: clock.now });
    let app = createTestApp(web);
    const c = new TestClient((request) => app(request), clock.now);
    await c.call("/login", { body: { userId: "cross-provider" } });
    cryptoProvider("node");
    const node = createSessions({ store: drizzleStore(db.db), secret: SECRET, now: clock.now });
    app = createTestApp(node);
    expect((await c.call("/me")).status).toBe(200);
    expect((await c.call("/auth/session/refresh", { method: "POST", headers: { rid: "session" } })).status).toBe(200);
    expect((await c.call("/me")).status).toBe(200);
  });

  it("defaults to ES256; tokens of an RS256 deployment keep verifying after the upgrade, and new ones are ES256", async () => {
    const clock = testClock();
    const before = createSessions({ store: drizzleStore(db.db), algorithm: "RS256", secret: SECRET, now: clock.now });
    let app = createTestApp(before);
    const old = new TestClient((request) => app(request), clock.now);
    await old.call("/login", { body: { userId: "upgrade" } });
    expect(decodeProtectedHeader(old.jar.get("sAccessToken") as string).alg).toBe("RS256");
    const after = createSessions({ store: drizzleStore(db.db), secret: SECRET, now: clock.now });
    app = createTestApp(after);
    expect((await old.call("/me")).status).toBe(200);
    expect((await old.call("/auth/session/refresh", { method: "POST", headers: { rid: "session" } })).status).toBe(200);
    expect(decodeProtectedHeader(old.jar.get("sAccessToken") as string).alg).toBe("ES256");
    expect((await old.call("/me")).status).toBe(200);
    const jwks = await (await old.call("/auth/jwt/jwks.json")).json();
    expect(jwks.keys.map((k: { alg: string }) => k.alg).sort()).toEqual(expect.arrayContaining(["ES256", "RS256"]));
  });
});
