// Refresh tokens: `<handle>.<generation>.<secret>.<tag>`. The tag (HMAC with the refresh key)
// proves we minted it, so garbage is refused without a store call and only genuine old tokens
// can count as theft. The store keeps SHA-256 hashes only. Each new secret is derived from the
// previous one and a stored random nonce, so a request racing a rotation can be given the
// current token again (the grace window) without the store ever holding a usable token.

import { base64url, fromBase64url, hmac, hmacVerify, importHmacKey, sha256 } from "./encoding.js";

export interface RefreshTokenParts {
  handle: string;
  generation: number;
  secret: Uint8Array<ArrayBuffer>;
}

const HANDLE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GENERATION = /^(0|[1-9][0-9]{0,8})$/;
/** Longest refresh token we look at. */
const MAX_LENGTH = 256;

function body(parts: RefreshTokenParts): string {
  return `${parts.handle}.${parts.generation}.${base64url(parts.secret)}`;
}

/** Serialises and tags a refresh token. */
export async function mintRefreshToken(key: CryptoKey, parts: RefreshTokenParts): Promise<string> {
  const text = body(parts);
  return `${text}.${base64url(await hmac(key, text))}`;
}

/** Parses and authenticates a refresh token; undefined for anything we did not mint. */
export async function openRefreshToken(key: CryptoKey, token: string): Promise<RefreshTokenParts | undefined> {
  if (token.length > MAX_LENGTH) return undefined;
  const fields = token.split(".");
  if (fields.length !== 4) return undefined;
  const [handle, generation, secretText, tagText] = fields as [string, string, string, string];
  if (!HANDLE.test(handle) || !GENERATION.test(generation)) return undefined;
  const secret = fromBase64url(secretText);
  const tag = fromBase64url(tagText);
  if (!secret || secret.length !== 32 || !tag || tag.length !== 32) return undefined;
  if (!(await hmacVerify(key, tag, `${handle}.${generation}.${secretText}`))) return undefined;
  return { handle, generation: Number(generation), secret };
}

/** The secret of the next generation: HMAC(previous secret, nonce). */
export async function nextSecret(secret: Uint8Array<ArrayBuffer>, nonce: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return hmac(await importHmacKey(secret), nonce);
}

/** What the store keeps instead of the token. */
export async function hashRefreshToken(token: string): Promise<string> {
  return base64url(await sha256(token));
}
