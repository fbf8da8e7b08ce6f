// The examples' own user accounts (tRPC and GraphQL share them): a Drizzle table next to sessionkit's, and scrypt password
// hashes (node:crypto). sessionkit never sees a password: the app checks it, then starts a session.

import { randomBytes, randomUUID, scrypt, timingSafeEqual } from "node:crypto";
import { eq, inArray, sql } from "drizzle-orm";
import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { AnyPgDatabase } from "../../src/storage/index.js";

export const users = pgTable("example_users", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  displayName: text("display_name").notNull(),
  passwordHash: text("password_hash").notNull(),
  /** "admin" or "member": what the tRPC example's `role` claim reads. */
  role: text("role").notNull().default("member"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export type User = typeof users.$inferSelect;

/** Creates the users table when it is missing (the example's whole migration). */
export async function ensureUsersTable(db: AnyPgDatabase): Promise<void> {
  await db.execute(sql`CREATE TABLE IF NOT EXISTS example_users (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`);
  await db.execute(sql`ALTER TABLE example_users ADD COLUMN IF NOT EXISTS role text NOT NULL DEFAULT 'member'`);
}

// scrypt cost: N = 2^15 takes ~50-100 ms and 32 MiB per hash, OWASP's recommended floor.
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, n = N, r = R, p = P): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, { N: n, r, p, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash`, base64: the parameters travel with the hash so they can be raised later. */
async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const key = await derive(password, Buffer.from(salt, "base64"), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

// Hash of a random password: signing in with an unknown name costs the same time as a wrong password.
let dummyHash: Promise<string> | undefined;

/** The user's accounts: sign-up, password check, display name. */
export class Users {
  constructor(private readonly db: AnyPgDatabase) {}

  /** A new account, or undefined when the name is taken. */
  async create(name: string, password: string, displayName: string, role = "member"): Promise<User | undefined> {
    const passwordHash = await hashPassword(password);
    const [user] = await this.db
      .insert(users)
      .values({ id: randomUUID(), name, displayName, passwordHash, role })
      .onConflictDoNothing({ target: users.name })
      .returning();
    return user;
  }

  /** The user when name and password match, else undefined (same time either way). */
  async check(name: string, password: string): Promise<User | undefined> {
    const [user] = await this.db.select().from(users).where(eq(users.name, name));
    if (!user) {
      dummyHash ??= hashPassword(randomUUID());
      await verifyPassword(password, await dummyHash);
      return undefined;
    }
    return (await verifyPassword(password, user.passwordHash)) ? user : undefined;
  }

  async rename(id: string, displayName: string): Promise<void> {
    await this.db.update(users).set({ displayName }).where(eq(users.id, id));
  }

  /** The user's role from their record ("member" for an unknown id). One query. */
  async roleOf(id: string): Promise<string> {
    const [row] = await this.db.select({ role: users.role }).from(users).where(eq(users.id, id));
    return row?.role ?? "member";
  }

  /** Makes these names admins (ADMINS at start-up, and at sign-up). One query. */
  async makeAdmins(names: Iterable<string>): Promise<void> {
    const list = [...names];
    if (list.length > 0) await this.db.update(users).set({ role: "admin" }).where(inArray(users.name, list));
  }

  /** How many accounts there are (the admin section shows it). One query. */
  async count(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(users);
    return row?.n ?? 0;
  }
}
