// Which Drizzle driver a database runs on: the store accepts only those it is tested on, and
// says so at construction instead of failing at the first request.

import { entityKind } from "drizzle-orm";

/** The Drizzle drivers the store is tested on, by Drizzle's class name of the database. */
const DRIVERS: Record<string, string> = {
  PostgresJsDatabase: "postgres.js",
  NodePgDatabase: "node-postgres",
  PgliteDatabase: "PGlite",
};

/** Which supported driver `db` runs on; a TypeError naming it otherwise, before any request. */
export function driverOf(db: unknown, what: string): string {
  const kind = (db as { constructor?: { [entityKind]?: string } } | null)?.constructor?.[entityKind];
  const driver = kind === undefined ? undefined : DRIVERS[kind];
  if (driver) return driver;
  throw new TypeError(
    `sessionkit: drizzleStore(${what}) needs a Drizzle database on postgres.js (drizzle-orm/postgres-js), ` +
      `node-postgres (drizzle-orm/node-postgres) or PGlite (drizzle-orm/pglite); got ${kind ?? (db as object | null)?.constructor?.name ?? typeof db}` +
      ((db as { $primary?: unknown } | null)?.$primary ? " (a read-replica wrapper: pass its primary, db.$primary)" : ""),
  );
}
