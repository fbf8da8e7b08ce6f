// Bad access tokens are a 401 TRY_REFRESH_TOKEN, never accepted and never a 500.
// (The full hostile-input suite lives in test/security.)

import { SignJWT, UnsecuredJWT, base64url, importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

describe("bad access tokens", () => {
  it("are refused with TRY_REFRESH_TOKEN", async () => {
    const clock = testClock();
    const sessions = createSessions({ store: drizzleStore(db.db), now: clock.now });
    const app = createTestApp(sessions);
    const c = new TestClient(app, clock.now);
    await c.call("/login", { body: { userId: "victim", payload: { role: "user" } } });
    const good = c.jar.get("sAccessToken") as string;
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
    const jwk = (await sessions.jwks()).keys[0] as JsonWebKey & { kid: string };
    const iat = Math.floor(clock.now() / 1000);

    const forged = {
      garbage: "not-a-token",
      "bad percent-encoding": "%E0%A4%A%00",
      "latin-1 bytes": "\u00ff\u00fe\u00e9",
      truncated: good.slice(0, good.length - 10),
      "two parts": `${header}.${payload}`,
      "changed payload": `${header}.${base64url.encode(JSON.stringify({ ...claims, role: "admin" }))}.${signature}`,
      "alg none": new UnsecuredJWT({ ...claims, role: "admin" }).encode(),
      "alg none with our kid": `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT", kid: jwk.kid }))}.${payload}.`,
      "HS256 with the public key": await new SignJWT({ ...claims, role: "admin" })
        .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: jwk.kid })
        .sign(await importJWK({ kty: "oct", k: base64url.encode(JSON.stringify(jwk)) }, "HS256")),
      "unknown kid": `${base64url.encode(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "../../etc/passwd" }))}.${payload}.${signature}`,
      "sub as a number": await resign(sessions, { ...claims, sub: 42 }),
      "iat in the future": await resign(sessions, { ...claims, iat: iat + 3600 }),
      huge: `${good}${"A".repeat(20_000)}`,
    };
    for (const [name, token] of Object.entries(forged)) {
      c.jar.set("sAccessToken", token);
      const res = await c.call("/me");
      expect(res.status, name).toBe(401);
      expect((await res.json()).code, name).toBe("TRY_REFRESH_TOKEN");
    }
    c.jar.set("sAccessToken", good);
    expect((await c.call("/me")).status).toBe(200);
  });
});

/** A token signed with a key we generate ourselves, under a kid the server knows: must fail. */
async function resign(sessions: ReturnType<typeof createSessions>, claims: Record<string, unknown>): Promise<string> {
  const { generateKeyPair } = await import("jose");
  const { privateKey } = await generateKeyPair("RS256");
  const kid = (await sessions.jwks()).keys[0]?.kid as string;
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid }).sign(privateKey);
}
