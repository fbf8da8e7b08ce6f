// Refresh tokens: `<handle>.<generation>.<secret>.<tag>`. The tag (HMAC with the refresh key)
// proves we minted it, so garbage is refused without a store call and only genuine old tokens
// can count as theft. The store keeps only the tag: a keyed hash of the token, which cannot be
// turned back into the secret, so a copy of the table replays nothing. Each new secret is
// derived from the previous one, a stored random nonce and the refresh key, so a request racing a
// rotation can be given the current token again (the grace window) without the store holding a
// usable token, and a copy of the table plus an old token cannot rebuild the current one.

import { type HmacKey, base64url, fromBase64url, hmac, hmacVerify, sha256 } from "./encoding.js";

export interface RefreshTokenParts {
  handle: string;
  generation: number;
  secret: Uint8Array<ArrayBuffer>;
}

/** A refresh token and the form the store keeps of it (its tag). */
export interface MintedRefreshToken {
  token: string;
  stored: string;
}

const HANDLE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GENERATION = /^(0|[1-9][0-9]{0,8})$/;
/** Longest refresh token we look at. */
const MAX_LENGTH = 256;

function body(parts: RefreshTokenParts): string {
  return `${parts.handle}.${parts.generation}.${base64url(parts.secret)}`;
}

/** Serialises and tags a refresh token. */
export async function mintRefreshToken(key: HmacKey, parts: RefreshTokenParts): Promise<MintedRefreshToken> {
  const text = body(parts);
  const tag = base64url(await hmac(key, text));
  return { token: `${text}.${tag}`, stored: tag };
}

/** Parses and authenticates a refresh token; undefined for anything we did not mint. */
export async function openRefreshToken(key: HmacKey, token: string): Promise<(RefreshTokenParts & { stored: string }) | undefined> {
  if (token.length > MAX_LENGTH) return undefined;
  const fields = token.split(".");
  if (fields.length !== 4) return undefined;
  const [handle, generation, secretText, tagText] = fields as [string, string, string, string];
  if (!HANDLE.test(handle) || !GENERATION.test(generation)) return undefined;
  const secret = fromBase64url(secretText);
  const tag = fromBase64url(tagText);
  if (!secret || secret.length !== 32 || !tag || tag.length !== 32) return undefined;
  if (!(await hmacVerify(key, tag, `${handle}.${generation}.${secretText}`))) return undefined;
  // Canonical base64url only (fromBase64url), so equal tags mean equal tokens.
  return { handle, generation: Number(generation), secret, stored: tagText };
}

function concat(secret: Uint8Array<ArrayBuffer>, nonce: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const input = new Uint8Array(secret.length + nonce.length);
  input.set(secret);
  input.set(nonce, secret.length);
  return input;
}

/**
 * The secret of the next generation: HMAC(refresh key, previous secret ‖ nonce). Keyed, so a copy
 * of the table (which holds the nonce and the current tag) plus an old token rebuilds nothing.
 */
export async function nextSecret(
  key: HmacKey,
  secret: Uint8Array<ArrayBuffer>,
  nonce: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return hmac(key, concat(secret, nonce));
}

/** 0.1's unkeyed derivation, SHA-256(previous secret ‖ nonce): only to hand out a rotation 0.1 made within the grace window. */
export async function legacyNextSecret(secret: Uint8Array<ArrayBuffer>, nonce: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(concat(secret, nonce));
}
