// Byte and string helpers on the web platform only, so the core runs anywhere; hashes and HMACs
// go through the crypto provider (crypto.ts).

import { type HmacKey, hmacSha256, hmacSha256Verify, importHmacKey, sha256 as sha256Bytes } from "./crypto.js";

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

function toBinary(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return out;
}

/** Standard base64 with padding (the `front-token` encoding). */
export function base64(bytes: Uint8Array): string {
  return btoa(toBinary(bytes));
}

export function base64url(bytes: Uint8Array): string {
  return base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes base64url; undefined for anything that is not canonical base64url. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  let binary: string;
  try {
    binary = atob(padded);
  } catch {
    return undefined;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  // atob ignores the spare low bits of the last character, so several spellings decode to the
  // same bytes; only the one we would have written is accepted (tokens are compared as text).
  return base64url(out) === text ? out : undefined;
}

/** A source of random bytes (the `randomBytes` option; tests inject a seeded one). */
export type RandomBytes = (length: number) => Uint8Array<ArrayBuffer>;

export const cryptoRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

export async function sha256(data: Uint8Array<ArrayBuffer> | string): Promise<Uint8Array<ArrayBuffer>> {
  return sha256Bytes(typeof data === "string" ? utf8(data) : data);
}

export { importHmacKey };
export type { HmacKey };

export async function hmac(key: HmacKey, data: Uint8Array<ArrayBuffer> | string): Promise<Uint8Array<ArrayBuffer>> {
  return hmacSha256(key, typeof data === "string" ? utf8(data) : data);
}

/** Checks an HMAC tag in constant time. */
export async function hmacVerify(key: HmacKey, tag: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer> | string): Promise<boolean> {
  return hmacSha256Verify(key, tag, typeof data === "string" ? utf8(data) : data);
}

/** Compares two strings in time that depends only on their lengths. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = utf8(a);
  const y = utf8(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
