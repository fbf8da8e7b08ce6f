// Dates and JSON as SQL values of the store's one-off statements, cast in SQL so every driver
// sends the same text.

import { sql } from "drizzle-orm";

export const ts = (date: Date) => sql`${date.toISOString()}::timestamptz`;
/** JSON as a text parameter cast in SQL, so a JSON `null` stays JSON (Drizzle would send SQL NULL). */
export const jsonb = (value: unknown) => sql`${JSON.stringify(value)}::text::jsonb`;
