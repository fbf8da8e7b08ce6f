// The Drizzle tables of sessionkit. Import them into your own drizzle-kit schema, or let
// `migrate(db)` create them. Every table is prefixed `sessionkit_`.

import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const time = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** One row per session. Refresh tokens are stored only as their HMAC tags (a keyed hash: nothing to replay). */
export const sessionkitSessions = pgTable(
  "sessionkit_sessions",
  {
    handle: text("handle").primaryKey(),
    userId: text("user_id").notNull(),
    jwtPayload: jsonb("jwt_payload").$type<Record<string, unknown>>().notNull().default({}),
    sessionData: jsonb("session_data").$type<unknown>().notNull().default({}),
    /** Bumped on every data write: the optimistic check of `modifySessionData`. */
    dataVersion: integer("data_version").notNull().default(0),
    refreshHash: text("refresh_hash").notNull(),
    previousRefreshHash: text("previous_refresh_hash"),
    refreshNonce: text("refresh_nonce"),
    refreshGeneration: integer("refresh_generation").notNull().default(0),
    rotatedAt: time("rotated_at"),
    createdAt: time("created_at").notNull(),
    /** The idle expiry, never later than the absolute one (`maxLifetime`). */
    expiresAt: time("expires_at").notNull(),
    /** Sign-in, then every refresh (set inside the rotation statement). */
    lastActiveAt: time("last_active_at").notNull(),
    /** The device: user agent (bounded) at sign-in, client IP at sign-in and at each refresh. */
    userAgent: text("user_agent"),
    ip: text("ip"),
    /** false: the cookies last for the browser session only (`remember: false` at sign-in). */
    remember: boolean("remember").notNull().default(true),
  },
  // Only columns the refresh never changes are indexed, so its UPDATE stays HOT (heap-only: no
  // index entry written). expires_at is not indexed: cleanup() walks the table in page slices.
  // Migration 0002 also sets fillfactor 90 (room on each page for the refreshed row version),
  // which Drizzle cannot express on a table.
  (t) => [index("sessionkit_sessions_user_id_idx").on(t.userId)],
);

/** Signing keys (one per purpose, algorithm and time slot) and the refresh-token key. */
export const sessionkitKeys = pgTable(
  "sessionkit_keys",
  {
    kid: text("kid").primaryKey(),
    purpose: text("purpose").$type<"signing" | "refresh">().notNull(),
    algorithm: text("algorithm").notNull(),
    slot: bigint("slot", { mode: "number" }).notNull(),
    publicJwk: jsonb("public_jwk").$type<JsonWebKey>(),
    privateJwk: jsonb("private_jwk").$type<JsonWebKey>().notNull(),
    createdAt: time("created_at").notNull(),
    expiresAt: time("expires_at").notNull(),
  },
  (t) => [uniqueIndex("sessionkit_keys_slot_idx").on(t.purpose, t.algorithm, t.slot)],
);

/** Recent revocations, kept as long as an access token can live (revocation "notify"). */
export const sessionkitRevocations = pgTable(
  "sessionkit_revocations",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    handle: text("handle").notNull(),
    revokedAt: time("revoked_at").notNull().default(sql`now()`),
  },
  (t) => [index("sessionkit_revocations_revoked_at_idx").on(t.revokedAt)],
);

/** All sessionkit tables, for `drizzle(client, { schema: { ...sessionkitSchema, ...yours } })`. */
export const sessionkitSchema = { sessionkitSessions, sessionkitKeys, sessionkitRevocations };
