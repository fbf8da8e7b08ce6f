// A full read of every sessionkit table (what a read-only SQL injection anywhere in the app, or a
// leaked backup, gives an attacker) forges nothing: no access token with any claims is accepted,
// and no refresh token is minted or rebuilt, with `secret` and with `keyEncryptionKey`. Also: a
// 0.1 database (plaintext keys, unkeyed refresh derivation) keeps working after the upgrade and
// its keys are encrypted in place.

import { SignJWT, importJWK } from "jose";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64url, fromBase64url, hmac, importHmacKey, sha256, utf8 } from "../../src/core/encoding.js";
import { legacyNextSecret, mintRefreshToken, openRefreshToken } from "../../src/core/refresh-token.js";
import { type CreateSessionsOptions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { rowsOf } from "../../src/storage/rows.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { guardProcess } from "./process-guard.js";
import { type Target, createTarget, rawRequest } from "./target.js";

guardProcess();

const SECRET = "an application secret of more than thirty-two characters";
const KEK = "a key-encryption key of more than thirty-two characters, from a vault";

/** One fresh database per block: the keys table is per deployment, and each block is one. */
let db: TestDb;
function freshDatabase(): void {
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db?.close());
}

type Row = Record<string, unknown>;

/** `SELECT *` of every sessionkit table, as an injection would read them. */
async function dumpEverything(): Promise<Record<string, Row[]>> {
  const tables = rowsOf<{ table_name: string }>(
    await db.db.execute(
      sql`SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'sessionkit%' AND table_schema = current_schema()`,
    ),
  ).map((r) => r.table_name);
  expect(tables).toEqual(expect.arrayContaining(["sessionkit_keys", "sessionkit_sessions"]));
  const dump: Record<string, Row[]> = {};
  for (const table of tables) dump[table] = rowsOf<Row>(await db.db.execute(sql.raw(`SELECT * FROM "${table}"`)));
  return dump;
}

/** Every JSON object anywhere in the dump (jsonb columns arrive parsed or as text). */
function jsonObjects(dump: Record<string, Row[]>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const rows of Object.values(dump)) {
    for (const row of rows) {
      for (const value of Object.values(row)) {
        let v = value;
        if (typeof v === "string" && v.startsWith("{")) {
          try {
            v = JSON.parse(v);
          } catch {}
        }
        if (v && typeof v === "object" && !(v instanceof Date)) out.push(v as Record<string, unknown>);
      }
    }
  }
  return out;
}

async function refreshWith(t: Target, token: string): Promise<Response> {
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

for (const [label, options] of [
  ["secret", { secret: SECRET }],
  ["keyEncryptionKey", { keyEncryptionKey: KEK }],
] as Array<[string, Partial<CreateSessionsOptions>]>) {
  describe(`a full database read, with ${label}`, () => {
    freshDatabase();
    let t: Target;
    beforeAll(() => {
      t = createTarget(db, options);
    });
    afterAll(() => t.close());

    it("holds no usable private key: nothing in it signs an access token the server accepts", async () => {
      const victim = await t.login({ role: "member" });
      const dump = await dumpEverything();
      const keyRows = dump.sessionkit_keys ?? [];
      expect(keyRows.length).toBeGreaterThan(0);
      let tried = 0;
      for (const object of jsonObjects(dump)) {
        // No private JWK member in the clear anywhere.
        expect(object).not.toHaveProperty("d");
        expect(object).not.toHaveProperty("k");
        for (const row of keyRows) {
          for (const alg of ["RS256", "ES256", "EdDSA"]) {
            let key: CryptoKey | Uint8Array;
            try {
              key = (await importJWK(object as never, alg)) as CryptoKey;
            } catch {
              continue;
            }
            tried++;
            const forged = await new SignJWT({ role: "admin", sub: victim.userId, sessionHandle: victim.handle })
              .setProtectedHeader({ alg, typ: "JWT", kid: String(row.kid) })
              .setIssuedAt(Math.floor(t.clock.now / 1000))
              .setExpirationTime(Math.floor(t.clock.now / 1000) + 600)
              .sign(key)
              .catch(() => undefined);
            if (!forged) continue;
            const response = await t.app(rawRequest("/me", { headers: [["cookie", `sAccessToken=${forged}`]] }));
            expect(response.status, "a token signed with material from the database was accepted").toBe(401);
          }
        }
      }
      console.log(`${label}: ${keyRows.length} key rows, ${tried} JSON values importable as keys (public ones only)`);
    });

    it("rebuilds no refresh token: the table plus every old token of the session refreshes nothing", async () => {
      const victim = await t.login();
      const old: string[] = [victim.refreshToken];
      for (let i = 0; i < 3; i++) {
        t.clock.now += 1000;
        expect((await victim.client.refresh()).status).toBe(200);
        old.push(t.tokensOf(victim.client).refreshToken);
      }
      const current = old.pop() as string;
      t.clock.now += 60_000; // outside the grace window
      const dump = await dumpEverything();
      const row = (dump.sessionkit_sessions ?? []).find((r) => r.handle === victim.handle);
      expect(row).toBeDefined();
      const nonce = fromBase64url(String(row?.refresh_nonce));
      const tag = String(row?.refresh_hash);
      const generation = Number(row?.refresh_generation);
      expect(nonce).toBeDefined();
      const candidates: string[] = [];
      for (const token of old) {
        const [handle, , secretText] = token.split(".");
        const secret = fromBase64url(secretText ?? "") as Uint8Array<ArrayBuffer>;
        // 0.1's derivation, SHA-256(old secret ‖ nonce), and the stored tag of the current token.
        const input = new Uint8Array([...secret, ...(nonce as Uint8Array)]);
        const rebuiltSecret = base64url(await sha256(input));
        candidates.push(`${handle}.${generation}.${rebuiltSecret}.${tag}`);
      }
      // Any oct key in the dump, used as the refresh key (there is none).
      for (const object of jsonObjects(dump)) {
        if (typeof object.k !== "string") continue;
        const key = await importHmacKey(fromBase64url(object.k) as Uint8Array<ArrayBuffer>);
        const body = `${victim.handle}.${generation + 1}.${base64url(new Uint8Array(32))}`;
        candidates.push(`${body}.${base64url(await hmac(key, body))}`);
      }
      for (const candidate of candidates) {
        expect(candidate).not.toBe(current);
        const response = await refreshWith(t, candidate);
        expect(response.status, "a refresh token rebuilt from the database refreshed").toBe(401);
        expect(((await response.json()) as { message: string }).message).toBe("unauthorised");
      }
      // Nothing of that revoked the victim or counted as theft; the genuine token still works.
      expect(await t.sessions.getSessionInformation(victim.handle)).toBeDefined();
      expect((await refreshWith(t, current)).status).toBe(200);
    });
  });
}

describe("upgrading a 0.1 database", () => {
  freshDatabase();
  it("plaintext keys keep working and are encrypted in place once a key-encryption key is set", async () => {
    const before = createTarget(db, {}); // 0.1: no secret, keys stored as they are
    const user = await before.login({ plan: "pro" });
    const plain = (await dumpEverything()).sessionkit_keys ?? [];
    expect(plain.some((r) => JSON.stringify(r.private_jwk).includes('"d"'))).toBe(true);
    await before.close();

    const after = createTarget(db, { keyEncryptionKey: KEK });
    after.clock.now = before.clock.now;
    const me = await after.app(rawRequest("/me", { headers: [["cookie", `sAccessToken=${user.accessToken}`]] }));
    expect(await me.json()).toMatchObject({ userId: user.userId, payload: { plan: "pro" } });
    expect((await refreshWith(after, user.refreshToken)).status).toBe(200);
    await after.login(); // signs with the old signing key: decrypts it
    const sealed = (await dumpEverything()).sessionkit_keys ?? [];
    expect(sealed.length).toBeGreaterThan(0);
    for (const row of sealed) {
      const text = JSON.stringify(row.private_jwk);
      expect(text).not.toMatch(/"(d|k)"/);
      expect(text).toContain("sessionkit-aes256gcm-v1");
    }
    expect(after.warnings.filter((w) => w.message.includes("could not encrypt"))).toEqual([]);
    await after.close();

    // The wrong key-encryption key cannot use them: a clear 500, never a forged or a 401 session.
    const wrong = createTarget(db, { keyEncryptionKey: `${KEK} but another one` });
    wrong.clock.now = before.clock.now;
    const refused = await refreshWith(wrong, user.refreshToken);
    expect(refused.status).toBe(500);
    await wrong.close();
  });
});

describe("refresh tokens of 0.1 after the upgrade", () => {
  freshDatabase();
  it("a refresh token rotated by 0.1 (unkeyed derivation) inside the grace window is still handed out", async () => {
    const t = createTarget(db, { secret: SECRET });
    const user = await t.login();
    // What 0.1 did at a refresh: the next secret as SHA-256(secret ‖ nonce).
    const key = await importHmacKey(await sha256(utf8(`sessionkit:${SECRET}`)));
    const parts = await openRefreshToken(key, user.refreshToken);
    if (!parts) throw new Error("the genuine token did not open");
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    const next = await mintRefreshToken(key, { handle: parts.handle, generation: 1, secret: await legacyNextSecret(parts.secret, nonce) });
    const store = drizzleStore(db.db);
    const now = new Date(t.clock.now);
    const rotated = await store.rotateRefresh({
      handle: parts.handle,
      presentedHash: parts.stored,
      nextHash: next.stored,
      nextNonce: base64url(nonce),
      nextGeneration: 1,
      now,
      expiresAt: new Date(t.clock.now + 3600_000),
    });
    expect(rotated?.refreshHash).toBe(next.stored);
    // The other tab, still holding the old token, gets the 0.1-made current token again.
    t.clock.now += 2000;
    const grace = await refreshWith(t, user.refreshToken);
    expect(grace.status).toBe(200);
    expect(grace.headers.getSetCookie().find((l) => l.startsWith("sRefreshToken="))).toContain(next.token);
    // And that token goes on refreshing, now with the keyed derivation.
    const onward = await refreshWith(t, next.token);
    expect(onward.status).toBe(200);
    await t.close();
  });
});

describe("the startup warning without secret or keyEncryptionKey", () => {
  freshDatabase();
  it("is loud outside development, silent in development and with a key", () => {
    const env = process.env.NODE_ENV;
    try {
      for (const [nodeEnv, options, expected] of [
        ["production", {}, true],
        [undefined, {}, true],
        ["development", {}, false],
        ["production", { secret: SECRET }, false],
        ["production", { keyEncryptionKey: KEK }, false],
      ] as Array<[string | undefined, Partial<CreateSessionsOptions>, boolean]>) {
        if (nodeEnv === undefined) delete process.env.NODE_ENV;
        else process.env.NODE_ENV = nodeEnv;
        const warnings: string[] = [];
        createSessions({ store: drizzleStore(db.db), onWarning: (m) => warnings.push(m), ...options });
        expect(
          warnings.some((m) => m.includes("plaintext")),
          `NODE_ENV=${nodeEnv} ${JSON.stringify(Object.keys(options))}`,
        ).toBe(expected);
      }
    } finally {
      process.env.NODE_ENV = env;
    }
  });
});
