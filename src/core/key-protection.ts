// Private key material at rest: every private JWK and the refresh HMAC key are sealed with
// AES-256-GCM before they reach the keys table, so a read of the database (a SQL injection, a
// leaked backup) yields nothing that signs. The key-encryption key is derived with HKDF from
// `keyEncryptionKey` or else from `secret`, and never stored.

import { base64url, fromBase64url, utf8 } from "./encoding.js";

/** The versioned envelope kept in the existing `private_jwk` jsonb column (no schema change). */
interface SealedJwk {
  enc: typeof ENVELOPE;
  /** Which key-encryption key sealed it (a keyed fingerprint, safe to store), for a clear error. */
  kek: string;
  iv: string;
  ct: string;
}

const ENVELOPE = "sessionkit-aes256gcm-v1";

export function isSealed(jwk: unknown): jwk is SealedJwk {
  return typeof jwk === "object" && jwk !== null && (jwk as { enc?: unknown }).enc === ENVELOPE;
}

/** Whether the process runs in development or tests (NODE_ENV), where a missing key is no alarm. */
export function isDevelopment(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV;
  return env === "development" || env === "test";
}

export class KeyProtection {
  readonly #kek: Promise<{ key: CryptoKey; id: string }> | undefined;

  constructor(material: { keyEncryptionKey?: string | undefined; secret?: string | undefined }) {
    const source = material.keyEncryptionKey ?? material.secret;
    this.#kek = source === undefined ? undefined : deriveKek(source, material.keyEncryptionKey !== undefined ? "kek" : "secret");
  }

  /** False without `secret` or `keyEncryptionKey`: keys are then stored as they are (development). */
  get enabled(): boolean {
    return this.#kek !== undefined;
  }

  /** Seals a private JWK for the row `kid` (bound to it: a sealed key moved to another row fails). */
  async seal(jwk: JsonWebKey, kid: string): Promise<JsonWebKey> {
    if (!this.#kek) return jwk;
    const { key, id } = await this.#kek;
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(`sessionkit-key:${kid}`) }, key, utf8(JSON.stringify(jwk))),
    );
    const sealed: SealedJwk = { enc: ENVELOPE, kek: id, iv: base64url(iv), ct: base64url(ct) };
    return sealed as unknown as JsonWebKey;
  }

  /** The plain JWK of a stored row; a 0.1 plaintext row is returned as is (and reported as plain). */
  async open(stored: JsonWebKey, kid: string): Promise<{ jwk: JsonWebKey; plain: boolean }> {
    if (!isSealed(stored)) return { jwk: stored, plain: true };
    if (!this.#kek) {
      throw new Error(`sessionkit: key ${kid} is encrypted, but neither keyEncryptionKey nor secret is configured`);
    }
    const { key, id } = await this.#kek;
    const iv = fromBase64url(stored.iv);
    const ct = fromBase64url(stored.ct);
    if (stored.kek !== id || !iv || !ct) {
      throw new Error(`sessionkit: key ${kid} was encrypted with another keyEncryptionKey or secret than the one configured`);
    }
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: utf8(`sessionkit-key:${kid}`) }, key, ct);
    return { jwk: JSON.parse(new TextDecoder().decode(plain)) as JsonWebKey, plain: false };
  }
}

async function deriveKek(source: string, label: string): Promise<{ key: CryptoKey; id: string }> {
  const base = await crypto.subtle.importKey("raw", utf8(source), "HKDF", false, ["deriveKey", "deriveBits"]);
  const salt = utf8(`sessionkit key encryption (${label})`);
  const key = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt, info: utf8("aes-256-gcm private keys") },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  const idBits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info: utf8("key id") }, base, 64);
  return { key, id: base64url(new Uint8Array(idBits)) };
}
