// The example's authorisation: a `role` claim read from the user record, the admin-only
// procedure behind requireSession({ claims }), and the fresh sign-in that "sign out everywhere"
// asks for (freshSession), with the password confirmation that gives one.

import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { requireSession } from "../../src/adapters/trpc/index.js";
import { claim, freshSession } from "../../src/index.js";
import type { Users } from "../shared/users.js";
import { protectedProcedure } from "./trpc.js";

let users: Users | undefined;

/**
 * Where `role` reads roles: createApp passes the app's users. (A claim's fetcher gets only the
 * user id, so it closes over the app's user store, as a module-level `db` would in an app of one
 * database; the tests build one app per database.)
 */
export function readRolesFrom(source: Users): void {
  users = source;
}

/** "admin" or "member", from the user record: fetched at sign-in, again at a refresh once 5 minutes old. */
export const role = claim<string>("role", {
  fetch: (userId) => {
    if (!users) throw new Error("examples/trpc: readRolesFrom(users) was not called");
    return users.roleOf(userId);
  },
  maxAgeSeconds: 300,
});

/** How recent a password sign-in "sign out everywhere" needs, in seconds (refreshes do not count). */
export const FRESH_SIGN_IN_SECONDS = 5 * 60;

/** Signed in with the role claim "admin"; otherwise 403 FORBIDDEN, sessionCode INVALID_CLAIM. No query. */
export const adminProcedure = protectedProcedure.use(requireSession({ claims: [role.equals("admin")] }));

/** Signed in with a password at most FRESH_SIGN_IN_SECONDS ago; otherwise 403 (claimValidationErrors id "freshSession"). */
export const recentSignInProcedure = protectedProcedure.use(requireSession({ claims: [freshSession(FRESH_SIGN_IN_SECONDS)] }));

/**
 * "Confirm your password": checks it again and starts a new session for this browser, so its
 * sign-in time is now. The sign-in time belongs to the session (refreshes keep it, on purpose),
 * so a fresh one is a new session; it carries this one's payload and data (notes, device).
 */
export const confirmPassword = protectedProcedure.input(z.object({ password: z.string().max(200) })).mutation(async ({ ctx, input }) => {
  const user = await ctx.users.check(String(ctx.session.getJWTPayload().name ?? ""), input.password);
  // 400, never 401: a 401 means "session problem" to the SDK and to sessionRefreshLink.
  if (!user || user.id !== ctx.session.getUserId()) throw new TRPCError({ code: "BAD_REQUEST", message: "Wrong password." });
  const [payload, sessionData] = [ctx.session.getJWTPayload(), await ctx.session.getSessionData()];
  await ctx.session.revokeSession();
  const session = await ctx.createNewSession({ userId: user.id, jwtPayload: payload, sessionData });
  return { signedInAt: session.getAuthTime() };
});
