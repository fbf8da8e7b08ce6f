// Token forging for attack tests: arbitrary JOSE headers and payload bytes, signed with the
// deployment's own private key (read from its keys table, to test claim checks behind a valid
// signature), with another key, with a public key used as an HMAC secret, or not at all.

import { createHmac, createPrivateKey, createPublicKey, sign } from "node:crypto";
import { eq } from "drizzle-orm";
import { CompactSign, type JWK, importJWK } from "jose";
import { sessionkitKeys } from "../../src/storage/index.js";
import type { TestDb } from "../helpers/db.js";

export const b64url = (data: string | Uint8Array | Buffer) => Buffer.from(data).toString("base64url");
export const b64json = (value: unknown) => b64url(JSON.stringify(value));

export interface SigningKeyRow {
  kid: string;
  algorithm: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** The deployment's signing keys, straight from its table. */
export async function signingKeys(db: TestDb): Promise<SigningKeyRow[]> {
  const rows = await db.db.select().from(sessionkitKeys).where(eq(sessionkitKeys.purpose, "signing"));
  return rows.map((r) => ({ kid: r.kid, algorithm: r.algorithm, privateJwk: r.privateJwk as JWK, publicJwk: r.publicJwk as JWK }));
}

/** All key material of the deployment (private members included), for secret scans. */
export async function keyMaterial(db: TestDb): Promise<string[]> {
  const rows = await db.db.select().from(sessionkitKeys);
  const out: string[] = [];
  for (const r of rows) {
    const jwk = r.privateJwk as Record<string, unknown>;
    for (const name of ["d", "p", "q", "dp", "dq", "qi", "k"]) if (typeof jwk[name] === "string") out.push(jwk[name] as string);
  }
  return out;
}

/** Signs any payload bytes under any protected header with a private JWK. */
export async function signRaw(
  header: Record<string, unknown>,
  payload: string | Uint8Array,
  privateJwk: JWK,
  alg: string,
): Promise<string> {
  const key = await importJWK(privateJwk, alg);
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return new CompactSign(bytes).setProtectedHeader({ ...header, alg } as { alg: string }).sign(key);
}

/** Signs with no library checks at all (jose refuses to sign some hostile headers, e.g. unknown `crit`). */
export function signUnchecked(header: Record<string, unknown>, payload: unknown, privateJwk: JWK, alg: string): string {
  const input = `${b64json({ ...header, alg })}.${b64json(payload)}`;
  const key = createPrivateKey({ key: privateJwk as import("node:crypto").JsonWebKey, format: "jwk" });
  const hash = alg === "EdDSA" ? null : "sha256";
  const signature = sign(hash, Buffer.from(input), alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key);
  return `${input}.${signature.toString("base64url")}`;
}

/** An HS256 token whose HMAC secret is `secret` (the algorithm-confusion attack). */
export function signHs256(header: Record<string, unknown>, payload: unknown, secret: Buffer | string): string {
  const input = `${b64json({ ...header, alg: "HS256" })}.${b64json(payload)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** Every byte form of a public key an HS256 confusion attack might try as the secret. */
export function publicKeyForms(jwk: JWK): Array<[string, Buffer | string]> {
  const key = createPublicKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" });
  const common: Array<[string, Buffer | string]> = [
    ["JWK JSON", JSON.stringify(jwk)],
    ["SPKI PEM", key.export({ type: "spki", format: "pem" }) as string],
    ["SPKI DER", key.export({ type: "spki", format: "der" })],
  ];
  if (jwk.kty === "RSA") {
    return [
      ...common,
      ["PKCS#1 PEM", key.export({ type: "pkcs1", format: "pem" }) as string],
      ["modulus bytes", Buffer.from(String(jwk.n), "base64url")],
    ];
  }
  // EC (ES256) and OKP (EdDSA): the raw public point or key bytes.
  const x = Buffer.from(String(jwk.x), "base64url");
  const point = jwk.y === undefined ? x : Buffer.concat([Buffer.from([4]), x, Buffer.from(String(jwk.y), "base64url")]);
  return [...common, ["raw public key bytes", point], ["x coordinate", x]];
}

/** The decoded header and payload of a compact JWT. */
export function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [h = "", p = "", signature = ""] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(h, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(p, "base64url").toString("utf8")),
    signature,
  };
}
