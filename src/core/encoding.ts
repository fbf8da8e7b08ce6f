// Byte and string helpers on the web platform only, so the core runs anywhere; hashes and HMACs
// go through the crypto provider (crypto.ts).

import { type HmacKey, hmacSha256, hmacSha256Verify, importHmacKey, sha256 as sha256Bytes } from "./crypto.js";

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/**
 * Node's `Buffer` where the runtime has one (Node, Bun, Deno): native base64, an order of
 * magnitude cheaper than `btoa` over a char-code string plus three replacements (a refresh
 * encodes seven values). Looked up at run time and probed once, so the core imports nothing from
 * Node; everywhere else the web-platform code below runs, with the same output.
 */
interface BufferLike {
  toString(encoding: "base64" | "base64url"): string;
  readonly length: number;
  [index: number]: number;
}
interface BufferClass {
  from(data: ArrayBufferLike, byteOffset: number, length: number): BufferLike;
  from(data: string, encoding: "utf8" | "base64url"): BufferLike;
  from(data: number[]): BufferLike;
}

function findBuffer(): BufferClass | undefined {
  try {
    const found = (globalThis as { Buffer?: BufferClass }).Buffer;
    if (typeof found?.from !== "function") return undefined;
    const probe = found.from([251, 255, 191]);
    if (probe.toString("base64url") !== "-_-_" || found.from("-_-_", "base64url")[1] !== 255) return undefined;
    if (found.from([251, 255]).toString("base64") !== "+/8=") return undefined;
    return found;
  } catch {
    return undefined;
  }
}

const detectedBuffer = findBuffer();
let NodeBuffer = detectedBuffer;

/** @internal Whether base64 runs on Buffer (`true` where available) or on btoa/atob; tests switch to cover both. */
export function bufferEncoding(use?: boolean): boolean {
  if (use !== undefined) NodeBuffer = use ? detectedBuffer : undefined;
  return NodeBuffer !== undefined;
}

const view = (bytes: Uint8Array) => (NodeBuffer as BufferClass).from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function toBinary(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return out;
}

/** Standard base64 with padding (the `front-token` encoding). */
export function base64(bytes: Uint8Array): string {
  if (NodeBuffer) return view(bytes).toString("base64");
  return btoa(toBinary(bytes));
}

export function base64url(bytes: Uint8Array): string {
  if (NodeBuffer) return view(bytes).toString("base64url");
  return btoa(toBinary(bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url of a string's UTF-8 bytes (JWS segments), without an intermediate copy where Buffer exists. */
export function base64urlText(text: string): string {
  if (NodeBuffer) return NodeBuffer.from(text, "utf8").toString("base64url");
  return base64url(utf8(text));
}

/** Standard base64 of a string's UTF-8 bytes (the `front-token`). */
export function base64Text(text: string): string {
  if (NodeBuffer) return NodeBuffer.from(text, "utf8").toString("base64");
  return base64(utf8(text));
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes base64url; undefined for anything that is not canonical base64url. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  let out: Uint8Array<ArrayBuffer>;
  if (NodeBuffer) {
    out = new Uint8Array(NodeBuffer.from(text, "base64url") as ArrayLike<number>);
  } else {
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    let binary: string;
    try {
      binary = atob(padded);
    } catch {
      return undefined;
    }
    out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  }
  // Decoders ignore the spare low bits of the last character, so several spellings decode to the
  // same bytes; only the one we would have written is accepted (tokens are compared as text).
  return base64url(out) === text ? out : undefined;
}

/** A source of random bytes (the `randomBytes` option; tests inject a seeded one). */
export type RandomBytes = (length: number) => Uint8Array<ArrayBuffer>;

/**
 * Random bytes are drawn from a 4 KB pool filled by `crypto.getRandomValues`: each call of it is a
 * trip into the runtime's CSPRNG costing far more than the 16–48 bytes a sign-in or refresh takes
 * (Node 20: ~3 µs idle, 20+ µs on a busy machine, against well under 1 µs for a slice), as Node's
 * own `randomUUID` keeps a cache. Every byte is handed out once and wiped from the pool.
 */
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

export const cryptoRandomBytes: RandomBytes = (length) => {
  if (length > 256) return crypto.getRandomValues(new Uint8Array(length));
  if (poolOffset + length > POOL_SIZE) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
};

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
