// Tables of the peers: better-auth's core schema (user, session, account, verification, as its
// CLI generates them for Drizzle), the two tables of Lucia v3's documented Postgres setup, and the
// refresh-token table of the hand-rolled "jose + refresh row" peer (bench/peers/jose-refresh.ts).

import { boolean, pgTable, text, timestamp } from "drizzle-orm/pg-core";

const time = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const user = pgTable("user", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").notNull().unique(),
  emailVerified: boolean("email_verified").notNull().default(false),
  image: text("image"),
  createdAt: time("created_at").notNull().defaultNow(),
  updatedAt: time("updated_at").notNull().defaultNow(),
});

export const session = pgTable("session", {
  id: text("id").primaryKey(),
  expiresAt: time("expires_at").notNull(),
  token: text("token").notNull().unique(),
  createdAt: time("created_at").notNull().defaultNow(),
  updatedAt: time("updated_at").notNull(),
  ipAddress: text("ip_address"),
  userAgent: text("user_agent"),
  userId: text("user_id").notNull(),
});

export const account = pgTable("account", {
  id: text("id").primaryKey(),
  accountId: text("account_id").notNull(),
  providerId: text("provider_id").notNull(),
  userId: text("user_id").notNull(),
  accessToken: text("access_token"),
  refreshToken: text("refresh_token"),
  idToken: text("id_token"),
  accessTokenExpiresAt: time("access_token_expires_at"),
  refreshTokenExpiresAt: time("refresh_token_expires_at"),
  scope: text("scope"),
  password: text("password"),
  createdAt: time("created_at").notNull().defaultNow(),
  updatedAt: time("updated_at").notNull(),
});

export const verification = pgTable("verification", {
  id: text("id").primaryKey(),
  identifier: text("identifier").notNull(),
  value: text("value").notNull(),
  expiresAt: time("expires_at").notNull(),
  createdAt: time("created_at").notNull().defaultNow(),
  updatedAt: time("updated_at").notNull().defaultNow(),
});

/** better-auth's Drizzle adapter looks tables up by model name in this object. */
export const betterAuthSchema = { user, session, account, verification };

export const luciaUser = pgTable("lucia_user", {
  id: text("id").primaryKey(),
  username: text("username").notNull(),
});

export const luciaSession = pgTable("lucia_session", {
  id: text("id").primaryKey(),
  userId: text("user_id")
    .notNull()
    .references(() => luciaUser.id),
  expiresAt: time("expires_at").notNull(),
});

export const PEER_TABLES_SQL = `
CREATE TABLE "user" (
  id text PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE,
  email_verified boolean NOT NULL DEFAULT false, image text,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE "session" (
  id text PRIMARY KEY, expires_at timestamptz NOT NULL, token text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL,
  ip_address text, user_agent text,
  user_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE
);
CREATE INDEX session_user_id_idx ON "session"(user_id);
CREATE TABLE "account" (
  id text PRIMARY KEY, account_id text NOT NULL, provider_id text NOT NULL,
  user_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  access_token text, refresh_token text, id_token text,
  access_token_expires_at timestamptz, refresh_token_expires_at timestamptz,
  scope text, password text,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL
);
CREATE INDEX account_user_id_idx ON "account"(user_id);
CREATE TABLE "verification" (
  id text PRIMARY KEY, identifier text NOT NULL, value text NOT NULL, expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verification_identifier_idx ON "verification"(identifier);
CREATE TABLE lucia_user (id text PRIMARY KEY, username text NOT NULL);
CREATE TABLE jose_refresh_token (
  token_hash text PRIMARY KEY, user_id text NOT NULL, expires_at timestamptz NOT NULL
);
CREATE INDEX jose_refresh_token_user_id_idx ON jose_refresh_token(user_id);
CREATE TABLE lucia_session (
  id text PRIMARY KEY, user_id text NOT NULL REFERENCES lucia_user(id), expires_at timestamptz NOT NULL
);
`;
