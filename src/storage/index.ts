// sessionkit/drizzle: the session store, tables and migrations for Drizzle on Postgres.

export { drizzleStore } from "./drizzle-store.js";
export type { DrizzleStoreOptions } from "./drizzle-store.js";
export { migrate } from "./migrate.js";
export type { AnyPgDatabase, MigrateOptions } from "./migrate.js";
export { sessionkitKeys, sessionkitRevocations, sessionkitSchema, sessionkitSessions } from "./schema.js";
