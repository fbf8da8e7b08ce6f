// The rotation statement's row as the driver answers it (statements.ts `driverRows`), and the
// store's result made from it: the mapping Drizzle's `execute()` would do, for these ten columns only.

import type { JsonObject, RotateRefreshResult } from "../core/store.js";

/** The RETURNING of `rotateRefresh`, by column name; timestamps as Postgres text. */
export interface RotationRow {
  user_id: string;
  jwt_payload: unknown;
  refresh_hash: string;
  previous_refresh_hash: string | null;
  refresh_nonce: string | null;
  refresh_generation: number | string;
  rotated_at: string | null;
  expires_at: string;
  created_at: string;
  remember: boolean;
}

export function rotationOf(row: RotationRow): RotateRefreshResult {
  const payload = row.jwt_payload;
  return {
    userId: row.user_id,
    // As Drizzle's jsonb column: a driver without a JSON parser answers text.
    jwtPayload: (typeof payload === "string" ? JSON.parse(payload) : payload) as JsonObject,
    refreshHash: row.refresh_hash,
    previousRefreshHash: row.previous_refresh_hash,
    refreshNonce: row.refresh_nonce,
    refreshGeneration: Number(row.refresh_generation),
    rotatedAt: row.rotated_at === null ? null : new Date(row.rotated_at),
    expiresAt: new Date(row.expires_at),
    createdAt: new Date(row.created_at),
    remember: row.remember,
  };
}
