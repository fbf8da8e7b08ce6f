// Token-cache flooding: a signed-in user re-spells their own access token (whitespace, padding,
// spare bits in the last character) 10,000 ways. None verifies, none takes a cache entry, the heap
// stays flat and everyone else's entries survive. Also measures the largest realistic token.

import { SignJWT, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_TOKEN_LENGTH } from "../../src/core/access-token.js";
import { engineOf } from "../../src/core/internal.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { guardProcess } from "./process-guard.js";
import { type Target, createTarget, rawRequest } from "./target.js";

guardProcess();

let db: TestDb;
let t: Target;
beforeAll(async () => {
  db = await createTestDb();
  t = createTarget(db, { secret: "a secret of at least thirty-two characters here", tokenCacheSize: 200 });
});
afterAll(async () => {
  await t?.close();
  await db?.close();
});

const me = (token: string) => t.app(rawRequest("/me", { headers: [["cookie", `sAccessToken=${encodeURIComponent(token)}`]] }));

/** 10,000 spellings of one token that a lenient base64url decoder reads as the same bytes. */
function respellings(token: string, count: number): string[] {
  const [header = "", payload = "", signature = ""] = token.split(".");
  const out = new Set<string>();
  const fillers = [" ", "\n", "\t", "\r\n", "=", "==", "  "];
  for (let i = 0; out.size < count; i++) {
    const at = 1 + (i % (signature.length - 1));
    const filler = fillers[i % fillers.length] ?? " ";
    const repeat = 1 + Math.floor(i / signature.length);
    const sig = `${signature.slice(0, at)}${filler.repeat(repeat)}${signature.slice(at)}`;
    out.add(i % 3 === 0 ? `${header}.${payload}.${sig}` : i % 3 === 1 ? `${header}.${payload}.${sig}=` : ` ${header}.${payload}.${sig}`);
  }
  return [...out];
}

describe("token-cache flooding", () => {
  it("10,000 re-spellings of a genuine token: none accepted, the cache and the heap stay bounded, others' entries survive", async () => {
    const tokens = engineOf(t.sessions).tokens;
    const others = [];
    for (let i = 0; i < 50; i++) others.push(await t.login());
    for (const other of others) expect((await me(other.accessToken)).status).toBe(200);
    for (const other of others) expect(tokens.isCached(other.accessToken)).toBe(true);
    const attacker = await t.login();
    expect((await me(attacker.accessToken)).status).toBe(200);
    const sizeBefore = tokens.cacheSize;
    const heapBefore = process.memoryUsage().heapUsed;

    let accepted = 0;
    const variants = respellings(attacker.accessToken, 10_000);
    expect(variants).toHaveLength(10_000);
    for (const variant of variants) {
      const response = await me(variant);
      if (response.status === 200) accepted++;
      else expect(response.status).toBe(401);
    }
    const grown = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    console.log(
      `10,000 re-spellings: ${accepted} accepted, cache ${sizeBefore} -> ${tokens.cacheSize} entries, heap +${grown.toFixed(1)} MB`,
    );
    expect(accepted).toBe(0);
    expect(tokens.cacheSize).toBe(sizeBefore);
    // 0.1 grew the heap by 155 MB here; garbage of the requests themselves stays far below that.
    expect(grown).toBeLessThan(60);
    for (const other of others) expect(tokens.isCached(other.accessToken)).toBe(true);
    expect((await me(attacker.accessToken)).status).toBe(200);
  });

  it("the largest realistic token (RS256, 1 KB custom payload, two claims) fits the bound with room", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const payload = { profile: "x".repeat(1024), roles: { v: ["admin", "editor"], t: Date.now() }, plan: { v: "pro", t: Date.now() } };
    const token = await new SignJWT({
      ...payload,
      sub: "user-0123456789abcdef",
      sessionHandle: crypto.randomUUID(),
      antiCsrfToken: "a".repeat(43),
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "aBcDeFgHiJkLmNoP" })
      .setIssuedAt()
      .setExpirationTime("1h")
      .setIssuer("https://api.example.com/auth")
      .sign(privateKey);
    console.log(`largest realistic token: ${token.length} characters (bound ${MAX_TOKEN_LENGTH})`);
    expect(token.length).toBeLessThan(MAX_TOKEN_LENGTH * 0.6);
    const session = await t.login({ profile: "x".repeat(1024) });
    expect((await me(session.accessToken)).status).toBe(200);
    expect((await me(`${session.accessToken}${"A".repeat(MAX_TOKEN_LENGTH)}`)).status).toBe(401);
  });
});
