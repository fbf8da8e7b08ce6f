// Whether a verified access token's session has been revoked, per revocation mode:
// "none" trusts the token until it expires, "check-database" asks the store on every request,
// "notify" keeps revoked handles in memory, fed by the store's LISTEN/NOTIFY (see notify.ts).

import type { AccessClaims } from "./access-token.js";
import type { ResolvedOptions } from "./options.js";

export interface RevocationGuard {
  /** True when the session behind these verified claims has been revoked. */
  isRevoked(claims: AccessClaims): boolean | Promise<boolean>;
  /** This process revoked these handles: reject them at once. */
  noteRevoked(handles: readonly string[]): void;
  /** Stops listeners and timers. */
  close(): Promise<void>;
  /** "notify" only: false while revocations may be missed (listener down or catching up). */
  live?(): boolean;
  /** "notify" only: the last listener probe's time from NOTIFY to hearing it, in ms (the telemetry's lag gauge). */
  lagMs?(): number | undefined;
}

export const trustTokens: RevocationGuard = {
  isRevoked: () => false,
  noteRevoked: () => {},
  close: async () => {},
};

export function checkDatabase(
  options: ResolvedOptions,
  run: <T>(operation: () => Promise<T>) => Promise<T>,
  onRevoked: (handles: readonly string[]) => void,
): RevocationGuard {
  return {
    isRevoked: async (claims) => !(await run(() => options.store.sessionExists(claims.handle, new Date(options.now())))),
    noteRevoked: onRevoked,
    close: async () => {},
  };
}
