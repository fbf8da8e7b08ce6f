// Signing keys shared by every instance through the store: created by the first process that
// needs one (a unique slot makes concurrent creators agree), rotated per time slot, cached here.

import { exportJWK, generateKeyPair, importJWK } from "jose";
import { type Signer, signerFor } from "./crypto.js";
import { type HmacKey, base64url, fromBase64url, importHmacKey, sha256, utf8 } from "./encoding.js";
import { KeyProtection, isDevelopment } from "./key-protection.js";
import type { ResolvedOptions } from "./options.js";
import type { KeyRecord } from "./store.js";

interface LoadedKey {
  record: KeyRecord;
  publicKey: CryptoKey;
  signer?: Promise<Signer>;
}

/** A public key as published in the JWKS document. */
export type PublicJwk = JsonWebKey & { kid: string; alg: string; use: "sig" };

const FAR_FUTURE = new Date("9999-12-31T00:00:00Z");
/** How long an unknown `kid` is remembered before the store is asked again (real time, not the injected clock). */
const UNKNOWN_KID_RETRY_MS = 1000;

/**
 * What a key ring has loaded: shared by the rings of one `createSessions` and its
 * `withStore` views, so the keys are loaded once per process, whichever store loaded them.
 */
class LoadedKeys {
  keys = new Map<string, LoadedKey>();
  loaded = false;
  unknownKids = new Map<string, number>();
  refreshRecord: KeyRecord | undefined;
  refreshKey: HmacKey | undefined;
  /** Rows already sealed in place by this process (or being sealed). */
  sealing = new Set<string>();
  constructor(readonly protection: KeyProtection) {}
}

export class KeyRing {
  readonly #s: LoadedKeys;
  // In-flight store calls belong to one ring (one store): a `withStore` view never waits on a
  // load running on another request's connection (Workers forbid sharing its I/O), it only
  // reads what such a load left in the shared LoadedKeys.
  #loading: Promise<void> | undefined;
  #creating = new Map<number, Promise<LoadedKey>>();
  #kidLookups = new Map<string, Promise<void>>();
  #nextLoad: Promise<void> | undefined;
  #refreshKey: Promise<HmacKey> | undefined;
  /** The signing key of the current slot once its signer is ready (checked against the loaded keys on use). */
  #readySigning: { slot: number; key: LoadedKey; value: { kid: string; algorithm: string; sign: Signer } } | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    /** Runs a store call with timeout and error mapping. */
    private readonly run: <T>(operation: () => Promise<T>) => Promise<T>,
    shared?: LoadedKeys,
  ) {
    this.#s = shared ?? new LoadedKeys(new KeyProtection(options));
    if (!shared && !this.#s.protection.enabled && !isDevelopment()) {
      options.onWarning(
        "sessionkit: WARNING: neither secret nor keyEncryptionKey is set, so the private signing keys and the refresh key " +
          "are stored in plaintext in the sessionkit_keys table: anyone who can read that table (a SQL injection, a backup) " +
          "can forge sessions for any user. Set secret or keyEncryptionKey (at least 32 characters) outside development.",
      );
    }
  }

  /** A ring on another store (options with that store, and its `run`) sharing what this one loaded. */
  withStore(options: ResolvedOptions, run: <T>(operation: () => Promise<T>) => Promise<T>): KeyRing {
    return new KeyRing(options, run, this.#s);
  }

  /**
   * A row's private JWK in the clear. A 0.1 row still in plaintext keeps working and, with a
   * key-encryption key configured, is sealed in place (one conditional UPDATE per row, once).
   */
  private async privateJwkOf(record: KeyRecord): Promise<JsonWebKey> {
    const { jwk, plain } = await this.#s.protection.open(record.privateJwk, record.kid);
    if (plain && this.#s.protection.enabled && !this.#s.sealing.has(record.kid)) {
      this.#s.sealing.add(record.kid);
      try {
        const sealed = await this.#s.protection.seal(jwk, record.kid);
        await this.run(() => this.options.store.replacePrivateKey(record.kid, sealed, record.privateJwk));
      } catch (error) {
        this.#s.sealing.delete(record.kid);
        this.options.onWarning(`sessionkit: could not encrypt key ${record.kid} in place; it keeps working in plaintext`, error);
      }
    }
    return jwk;
  }

  private slotOf(nowMs: number): number {
    return Math.floor(nowMs / 1000 / this.options.keyRotationInterval);
  }

  /** Loads keys from the store (single flight). */
  private reload(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const records = await this.run(() => this.options.store.loadKeys(new Date(this.options.now())));
        const next = new Map<string, LoadedKey>();
        for (const record of records) {
          if (record.purpose === "refresh") this.#s.refreshRecord ??= record;
          if (record.purpose !== "signing" || !record.publicJwk) continue;
          const existing = this.#s.keys.get(record.kid);
          next.set(record.kid, existing ?? { record, publicKey: await importPublic(record) });
        }
        this.#s.keys = next;
        this.#s.loaded = true;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  /**
   * A load that starts after this call. Joining one already running is not enough when the
   * caller needs a key that appeared meanwhile (another instance just created it): that load
   * may have read the table before, and would make a fresh key look missing.
   */
  private reloadFresh(): Promise<void> {
    const running = this.#loading;
    if (!running) return this.reload();
    this.#nextLoad ??= running
      .catch(() => {})
      .then(() => {
        this.#nextLoad = undefined;
        return this.reload();
      });
    return this.#nextLoad;
  }

  private async ensureLoaded(): Promise<void> {
    if (!this.#s.loaded) await this.reload();
  }

  /** The key to sign new access tokens with, creating this slot's key when none exists. */
  async signingKey(): Promise<{ kid: string; algorithm: string; sign: Signer }> {
    const slot = this.slotOf(this.options.now());
    // Every token of a slot is signed with the same key: once its signer is ready, no lookup.
    const ready = this.#readySigning;
    if (ready !== undefined && ready.slot === slot && this.#s.keys.get(ready.value.kid) === ready.key) return ready.value;
    await this.ensureLoaded();
    let key = this.findSigning(slot);
    if (!key) {
      let creating = this.#creating.get(slot);
      if (!creating) {
        creating = this.createSigning(slot).finally(() => this.#creating.delete(slot));
        this.#creating.set(slot, creating);
      }
      key = await creating;
    }
    const record = key.record;
    const loaded = key;
    if (!loaded.signer) {
      loaded.signer = this.privateJwkOf(record).then((jwk) => signerFor(jwk, record.algorithm));
      loaded.signer.catch(() => {
        loaded.signer = undefined;
      });
    }
    const value = { kid: record.kid, algorithm: record.algorithm, sign: await loaded.signer };
    this.#readySigning = { slot, key: loaded, value };
    return value;
  }

  private findSigning(slot: number): LoadedKey | undefined {
    for (const key of this.#s.keys.values()) {
      if (key.record.slot === slot && key.record.algorithm === this.options.algorithm) return key;
    }
    return undefined;
  }

  private async createSigning(slot: number): Promise<LoadedKey> {
    const { algorithm, keyRotationInterval, accessTokenTtl } = this.options;
    const pair = await generateKeyPair(algorithm, { extractable: true });
    const kid = base64url(this.options.randomBytes(12));
    const slotEndMs = (slot + 1) * keyRotationInterval * 1000;
    await this.run(async () =>
      this.options.store.insertKey({
        kid,
        purpose: "signing",
        algorithm,
        slot,
        publicJwk: await exportJWK(pair.publicKey),
        privateJwk: await this.#s.protection.seal(await exportJWK(pair.privateKey), kid),
        createdAt: new Date(this.options.now()),
        // Tokens signed until the slot ends stay verifiable for one more access-token lifetime.
        expiresAt: new Date(slotEndMs + (accessTokenTtl + 60) * 1000),
      }),
    );
    // Another instance may have won the slot: whatever the store holds now is the key.
    await this.reloadFresh();
    const key = this.findSigning(slot);
    if (!key) throw new Error("sessionkit: the store did not keep the new signing key");
    return key;
  }

  /** The public key for a `kid`, asking the store again (rate-limited) when it is unknown. */
  async verificationKey(kid: string): Promise<{ key: CryptoKey; algorithm: string } | undefined> {
    await this.ensureLoaded();
    let key = this.#s.keys.get(kid);
    if (!key) {
      // Requests arriving together with a new kid (another instance just rotated) share one
      // lookup; only after it has failed is the kid refused without asking again for a while.
      let lookup = this.#kidLookups.get(kid);
      if (!lookup) {
        const seen = this.#s.unknownKids.get(kid);
        const realNow = performance.now();
        if (seen !== undefined && realNow - seen < UNKNOWN_KID_RETRY_MS) return undefined;
        if (this.#s.unknownKids.size > 1000) this.#s.unknownKids.clear();
        this.#s.unknownKids.set(kid, realNow);
        lookup = this.reloadFresh().finally(() => this.#kidLookups.delete(kid));
        this.#kidLookups.set(kid, lookup);
      }
      await lookup;
      key = this.#s.keys.get(kid);
      if (!key) return undefined;
      this.#s.unknownKids.delete(kid);
    }
    if (key.record.expiresAt.getTime() <= this.options.now()) return undefined;
    return { key: key.publicKey, algorithm: key.record.algorithm };
  }

  /** The JWKS document: public keys only. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    await this.signingKey();
    const now = this.options.now();
    const keys: PublicJwk[] = [];
    for (const { record } of this.#s.keys.values()) {
      if (record.expiresAt.getTime() <= now || !record.publicJwk) continue;
      keys.push({ ...publicPart(record.publicJwk), kid: record.kid, alg: record.algorithm, use: "sig" });
    }
    return { keys };
  }

  /** The HMAC key that authenticates refresh tokens and derives anti-CSRF tokens. */
  refreshKey(): Promise<HmacKey> {
    const loaded = this.#s.refreshKey;
    if (loaded) return Promise.resolve(loaded);
    this.#refreshKey ??= this.loadRefreshKey().then(
      (key) => {
        this.#s.refreshKey = key;
        return key;
      },
      (error: unknown) => {
        this.#refreshKey = undefined;
        throw error;
      },
    );
    return this.#refreshKey;
  }

  /** The refresh key once loaded, without a store call or a timer: what every refresh after the first uses. */
  get readyRefreshKey(): HmacKey | undefined {
    return this.#s.refreshKey;
  }

  private async loadRefreshKey(): Promise<HmacKey> {
    if (this.options.secret !== undefined) return importHmacKey(await sha256(utf8(`sessionkit:${this.options.secret}`)));
    await this.ensureLoaded();
    if (!this.#s.refreshRecord) {
      const kid = `refresh-${base64url(this.options.randomBytes(8))}`;
      const privateJwk = await this.#s.protection.seal({ kty: "oct", k: base64url(this.options.randomBytes(32)) }, kid);
      await this.run(() =>
        this.options.store.insertKey({
          kid,
          purpose: "refresh",
          algorithm: "HS256",
          slot: 0,
          publicJwk: null,
          privateJwk,
          createdAt: new Date(this.options.now()),
          expiresAt: FAR_FUTURE,
        }),
      );
      // Concurrent creators: the unique slot keeps one; read back whichever won.
      await this.reloadFresh();
    }
    const record = this.#s.refreshRecord as KeyRecord | undefined;
    const jwk = record ? await this.privateJwkOf(record) : undefined;
    const raw = jwk?.k ? fromBase64url(jwk.k) : undefined;
    if (!raw || raw.length < 32) throw new Error("sessionkit: the store holds no usable refresh key");
    return importHmacKey(raw);
  }
}

async function importPublic(record: KeyRecord): Promise<CryptoKey> {
  return (await importJWK(record.publicJwk as JsonWebKey, record.algorithm)) as CryptoKey;
}

const PUBLIC_MEMBERS = ["kty", "crv", "x", "y", "n", "e"] as const;

/** Copies only public members, so a private JWK can never leak through the JWKS. */
function publicPart(jwk: JsonWebKey): JsonWebKey {
  const out: Record<string, unknown> = {};
  for (const name of PUBLIC_MEMBERS) if (jwk[name] !== undefined) out[name] = jwk[name];
  return out as JsonWebKey;
}
