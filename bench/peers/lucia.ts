// The session handling of Lucia v3's documentation ("Basic API", Drizzle + Postgres), written
// out as that guide does: the token is random, the database keeps only its SHA-256 as the
// session id, every request looks the session up (joined with its user) and slides the expiry
// once less than half of it is left. Node's sha256 stands in for @oslojs/crypto (not installed;
// it is faster, so this favours the peer).

import { createHash, getRandomValues } from "node:crypto";
import { eq } from "drizzle-orm";
import type { AnyPgDatabase } from "../../src/storage/index.js";
import { luciaSession, luciaUser } from "./tables.js";

const DAY_MS = 1000 * 60 * 60 * 24;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32, lower case, no padding (what `encodeBase32LowerCaseNoPadding` gives). */
function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

const sessionIdOf = (token: string) => createHash("sha256").update(token).digest("hex");

export type LuciaSession = typeof luciaSession.$inferSelect;
export type LuciaUser = typeof luciaUser.$inferSelect;

export function luciaSessions(db: AnyPgDatabase) {
  return {
    generateSessionToken(): string {
      return base32(getRandomValues(new Uint8Array(20)));
    },

    async createSession(token: string, userId: string): Promise<LuciaSession> {
      const session: LuciaSession = { id: sessionIdOf(token), userId, expiresAt: new Date(Date.now() + 30 * DAY_MS) };
      await db.insert(luciaSession).values(session);
      return session;
    },

    async validateSessionToken(token: string): Promise<{ session: LuciaSession; user: LuciaUser } | { session: null; user: null }> {
      const sessionId = sessionIdOf(token);
      const result = await db
        .select({ user: luciaUser, session: luciaSession })
        .from(luciaSession)
        .innerJoin(luciaUser, eq(luciaSession.userId, luciaUser.id))
        .where(eq(luciaSession.id, sessionId));
      const row = result[0];
      if (!row) return { session: null, user: null };
      const { user, session } = row;
      if (Date.now() >= session.expiresAt.getTime()) {
        await db.delete(luciaSession).where(eq(luciaSession.id, session.id));
        return { session: null, user: null };
      }
      if (Date.now() >= session.expiresAt.getTime() - 15 * DAY_MS) {
        session.expiresAt = new Date(Date.now() + 30 * DAY_MS);
        await db.update(luciaSession).set({ expiresAt: session.expiresAt }).where(eq(luciaSession.id, session.id));
      }
      return { session, user };
    },

    /** A refresh in this pattern: validate, then slide the expiry now (one more UPDATE). */
    async extendSession(token: string): Promise<LuciaSession | undefined> {
      const { session } = await this.validateSessionToken(token);
      if (!session) return undefined;
      session.expiresAt = new Date(Date.now() + 30 * DAY_MS);
      await db.update(luciaSession).set({ expiresAt: session.expiresAt }).where(eq(luciaSession.id, session.id));
      return session;
    },
  };
}
