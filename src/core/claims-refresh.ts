// `sessions.refreshClaimsForUser(userId)`: one statement clears the claims kept with the user's
// sessions (their next refresh fetches them) and, with revocation "notify", announces it on the
// revocation channel so every instance re-issues the user's tokens at their next request.

import { CLAIMS_NOTICE_PREFIX } from "./claims.js";
import type { Engine } from "./engine.js";

export async function refreshClaimsForUser(engine: Engine, userId: string): Promise<string[]> {
  const { claims, options } = engine;
  if (claims.empty) return [];
  const { store } = options;
  if (!store.clearClaims) throw new TypeError("sessionkit: refreshClaimsForUser needs a store with clearClaims (drizzleStore has it)");
  const at = options.now();
  const notifyChannel = options.revocation === "notify" ? options.notifyChannel : undefined;
  const handles = await engine.run(() =>
    (store.clearClaims as NonNullable<typeof store.clearClaims>)({
      userId,
      keys: [...claims.keys],
      now: new Date(at),
      notifyChannel,
      notice: `${CLAIMS_NOTICE_PREFIX}${at}:${userId}`,
    }),
  );
  // This instance need not wait for its own notice.
  if (notifyChannel !== undefined) claims.noteStale(userId, at);
  return handles;
}
