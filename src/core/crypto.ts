// The crypto provider: hashes, HMACs and access-token signatures. Where the runtime has
// `node:crypto` (Node, Bun, Deno) they run synchronously on key objects; elsewhere (Workers,
// browsers) on WebCrypto. Measured on Node 20 (bench/RESULTS.md): each WebCrypto call is a
// thread-pool round trip, an HMAC 3.7 µs synchronous against ~25 µs (and far more under load)
// through `crypto.subtle`, an ES256 signature ~140 µs against ~700 µs. `node:crypto` is looked
// up at run time (`process.getBuiltinModule`), so the core imports nothing from Node and still
// loads anywhere.

/** The part of `node:crypto` sessionkit uses, described here so the core needs no Node types. */
interface NodeCrypto {
  createHash(algorithm: "sha256"): { update(data: Uint8Array): { digest(): Uint8Array } };
  createHmac(algorithm: "sha256", key: object): { update(data: Uint8Array): { digest(): Uint8Array } };
  createSecretKey(key: Uint8Array): object;
  createPrivateKey(input: { key: JsonWebKey; format: "jwk" }): object;
  sign(algorithm: string | null, data: Uint8Array, key: object): Uint8Array;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

function findNodeCrypto(): NodeCrypto | undefined {
  // Workers' nodejs_compat offers a partial node:crypto (no JWK private keys, no one-shot sign):
  // WebCrypto is the native path there.
  if ((globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "Cloudflare-Workers") return undefined;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const found = proc?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
    if (typeof found?.createHmac !== "function" || typeof found.sign !== "function") return undefined;
    // A provider that cannot do what we need is no provider: probe it once.
    found
      .createHmac("sha256", found.createSecretKey(new Uint8Array(32)))
      .update(new Uint8Array(1))
      .digest();
    found.createHash("sha256").update(new Uint8Array(1)).digest();
    return found;
  } catch {
    return undefined;
  }
}

const detected = findNodeCrypto();
let nodeCrypto: NodeCrypto | undefined = detected;

/** @internal Which provider new keys use: `"node"` where available, else `"webcrypto"`; tests switch to cover both. */
export function cryptoProvider(use?: "node" | "webcrypto"): "node" | "webcrypto" {
  if (use !== undefined) nodeCrypto = use === "node" ? detected : undefined;
  return nodeCrypto ? "node" : "webcrypto";
}

/** A copy with its own ArrayBuffer (Node hands out views of pooled memory). */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (nodeCrypto) return own(nodeCrypto.createHash("sha256").update(bytes).digest());
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** An HMAC-SHA-256 key of either provider, made by {@link importHmacKey}. */
export type HmacKey = { readonly node: object; readonly web?: undefined } | { readonly node?: undefined; readonly web: CryptoKey };

export async function importHmacKey(raw: Uint8Array<ArrayBuffer>): Promise<HmacKey> {
  if (nodeCrypto) return { node: nodeCrypto.createSecretKey(raw) };
  return { web: await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]) };
}

export async function hmacSha256(key: HmacKey, bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (key.node && nodeCrypto) return own(nodeCrypto.createHmac("sha256", key.node).update(bytes).digest());
  if (!key.web) throw new Error("sessionkit: an HMAC key of another crypto provider");
  return new Uint8Array(await crypto.subtle.sign("HMAC", key.web, bytes));
}

/** Checks an HMAC tag in constant time (timingSafeEqual, or WebCrypto's verify). */
export async function hmacSha256Verify(key: HmacKey, tag: Uint8Array<ArrayBuffer>, bytes: Uint8Array<ArrayBuffer>): Promise<boolean> {
  if (key.node && nodeCrypto) {
    const expected = nodeCrypto.createHmac("sha256", key.node).update(bytes).digest();
    return expected.length === tag.length && nodeCrypto.timingSafeEqual(expected, tag);
  }
  if (!key.web) throw new Error("sessionkit: an HMAC key of another crypto provider");
  return crypto.subtle.verify("HMAC", key.web, tag, bytes);
}

/** Signs JWS signing input with one private key: the signature bytes as JWS wants them. */
export type Signer = (input: Uint8Array<ArrayBuffer>) => Promise<Uint8Array<ArrayBuffer>>;

const WEB_PARAMS = {
  RS256: { import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, sign: { name: "RSASSA-PKCS1-v1_5" } },
  ES256: { import: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } },
  EdDSA: { import: { name: "Ed25519" }, sign: { name: "Ed25519" } },
} as const;

/** A signer for a private JWK of `algorithm` (RS256, ES256 or EdDSA). */
export async function signerFor(jwk: JsonWebKey, algorithm: string): Promise<Signer> {
  const params = WEB_PARAMS[algorithm as keyof typeof WEB_PARAMS];
  if (!params) throw new Error(`sessionkit: cannot sign with ${algorithm}`);
  const node = nodeCrypto;
  if (node) {
    try {
      const key = node.createPrivateKey({ key: jwk, format: "jwk" });
      // JWS wants ECDSA signatures as r ‖ s (IEEE P1363), not DER; Ed25519 takes no hash.
      const options = algorithm === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key;
      const hash = algorithm === "EdDSA" ? null : "sha256";
      node.sign(hash, new Uint8Array(1), options);
      return async (input) => own(node.sign(hash, input, options));
    } catch {
      // A runtime whose node:crypto lacks this key type or algorithm: sign on WebCrypto.
    }
  }
  const { alg: _alg, key_ops: _ops, ext: _ext, use: _use, ...material } = jwk;
  const key = await crypto.subtle.importKey("jwk", material, params.import, false, ["sign"]);
  return async (input) => new Uint8Array(await crypto.subtle.sign(params.sign, key, input));
}
