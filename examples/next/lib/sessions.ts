// The app's one sessions instance, on postgres.js (DATABASE_URL). Module state lives as long as
// the Next.js server process: one connection pool and one key cache for every request.

import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { createSessions } from "sessionkit";
import { drizzleStore } from "sessionkit/drizzle";

const sql = postgres(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", {
  max: 4,
  onnotice: () => {},
  // The test runs each server in a schema of its own.
  ...(process.env.DATABASE_SCHEMA ? { connection: { search_path: process.env.DATABASE_SCHEMA } } : {}),
});
export const db = drizzle(sql);

export const sessions = createSessions({
  store: drizzleStore(db),
  accessTokenTtl: Number(process.env.ACCESS_TOKEN_TTL ?? 3600),
  // "check-database": every instance sees a revocation at once, without a LISTEN connection.
  revocation: "check-database",
  cookies: { secure: process.env.COOKIE_SECURE !== "false" },
});

// A stand-in for your own credential check (a users table, OAuth…): two demo accounts.
const ACCOUNTS: Record<string, string> = { ada: "correct horse battery", grace: "staple battery horse" };

export async function checkPassword(name: string, password: string): Promise<string | undefined> {
  return ACCOUNTS[name] !== undefined && ACCOUNTS[name] === password ? `user-${name}` : undefined;
}
