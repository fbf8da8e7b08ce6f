// What a user hand-rolls with jose when a session must outlive one access token: a short-lived
// ES256 JWT in a cookie, verified on every request, plus an opaque random refresh token whose
// SHA-256 is the primary key of a Postgres row; a refresh rotates it with one
// `UPDATE … RETURNING` (new hash, new expiry) and signs a new JWT. No theft detection, no
// revocation check per request (a revoked row only stops the next refresh). Plain SQL on the same
// driver and pool as sessionkit (postgres.js, prepared statements), node:crypto for the random
// bytes and the hash, jose for the JWT (as its users do: WebCrypto underneath).

import { createHash, randomBytes } from "node:crypto";
import { SignJWT, generateKeyPair, jwtVerify } from "jose";
import type { BenchDb } from "../servers/common.js";

/** The same lifetimes as sessionkit's defaults: 1 h access tokens, 100-day refresh tokens. */
const ACCESS_SECONDS = 3600;
const REFRESH_DAYS = 100;

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

export async function joseRefreshSessions(bench: Pick<BenchDb, "query">, algorithm: string) {
  const { privateKey, publicKey } = await generateKeyPair(algorithm);
  const accessToken = (sub: string) =>
    new SignJWT({ sub })
      .setProtectedHeader({ alg: algorithm, typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_SECONDS}s`)
      .sign(privateKey);
  return {
    /** The user id of a valid access token, or undefined. */
    async verify(token: string): Promise<string | undefined> {
      try {
        const { payload } = await jwtVerify(token, publicKey, { algorithms: [algorithm] });
        return typeof payload.sub === "string" ? payload.sub : undefined;
      } catch {
        return undefined;
      }
    },
    /** Sign-in: one INSERT of the refresh token's hash, one signature. */
    async signIn(userId: string): Promise<{ access: string; refresh: string }> {
      const refresh = randomBytes(32).toString("base64url");
      await bench.query(
        `INSERT INTO jose_refresh_token (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '${REFRESH_DAYS} days')`,
        [hashOf(refresh), userId],
      );
      return { access: await accessToken(userId), refresh };
    },
    /** Refresh: one UPDATE swaps the row to the next token's hash (if the presented one is live), then one signature. */
    async refresh(presented: string): Promise<{ access: string; refresh: string } | undefined> {
      const refresh = randomBytes(32).toString("base64url");
      const rows = await bench.query<{ user_id: string }>(
        `UPDATE jose_refresh_token SET token_hash = $1, expires_at = now() + interval '${REFRESH_DAYS} days'
         WHERE token_hash = $2 AND expires_at > now() RETURNING user_id`,
        [hashOf(refresh), hashOf(presented)],
      );
      const userId = rows[0]?.user_id;
      if (userId === undefined) return undefined;
      return { access: await accessToken(userId), refresh };
    },
  };
}
