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

type Transform = { column?: { from?: unknown }; value?: { from?: unknown }; row?: { from?: unknown } };

/**
 * A postgres.js client whose `transform` rewrites what it reads (`postgres.camel`: column names,
 * and the keys of every JSON value) would hand the store rows it cannot read by name and session
 * data and payloads other than those stored: refused at startup. `transform: { undefined }` (what
 * an `undefined` parameter is sent as) changes nothing read, and is fine.
 */
export function refuseReadTransform(db: unknown, what: string): void {
  const transform = (db as { $client?: { options?: { transform?: Transform } } } | null)?.$client?.options?.transform;
  const rewritten = (["column", "value", "row"] as const).filter((part) => typeof transform?.[part]?.from === "function");
  if (rewritten.length === 0) return;
  throw new TypeError(
    `sessionkit: drizzleStore(${what}) got a postgres.js client whose \`transform\` rewrites the ${rewritten.join(", ")} it reads ` +
      "(postgres.camel renames columns and the keys of JSON values), so session rows, data and payloads would not read back as stored. " +
      "Give sessionkit a client made without `transform`, e.g. drizzle(postgres(url)); the app's own client can keep it.",
  );
}
