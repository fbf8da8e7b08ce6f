// The example's API: sign-up and sign-in (app-owned passwords), "me", display name in the
// access token, private notes in session data, the list of my sessions, sign-out.

import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Session } from "../../src/index.js";
import { devicesRouter } from "./devices.js";
import { type AppContext, protectedProcedure, publicProcedure, router } from "./trpc.js";
import { adminProcedure, confirmPassword, recentSignInProcedure, role } from "./authz.js";
import { type SessionData, withNote, withoutNote } from "../shared/notes.js";
import type { User } from "../shared/users.js";

const name = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_.-]{3,32}$/, "A name has 3 to 32 letters, digits, dots, dashes or underscores.");
const password = z.string().min(8, "A password has at least 8 characters.").max(200, "That password is too long.");
const displayName = z.string().trim().min(1, "A display name cannot be empty.").max(40, "A display name has at most 40 characters.");

async function signIn(ctx: AppContext, user: User, remember = true) {
  // A browser that was signed in as someone else: end that session rather than leave it behind.
  await ctx.session?.revokeSession();
  const session = await ctx.createNewSession({
    userId: user.id,
    jwtPayload: { name: user.name, displayName: user.displayName },
    sessionData: { notes: [], device: ctx.device } satisfies SessionData,
    // "Remember me" unticked: the cookies go when the browser closes.
    remember,
  });
  return describe(session);
}

function describe(session: Session) {
  const payload = session.getJWTPayload();
  return {
    userId: session.getUserId(),
    handle: session.getHandle(),
    name: String(payload.name ?? ""),
    displayName: String(payload.displayName ?? ""),
    payload,
    role: session.getClaim(role) ?? "member",
    accessTokenExpiresAt: session.getAccessTokenExpiry(),
  };
}

export const appRouter = router({
  /** Public: works signed in or out; says who is signed in without failing. */
  hello: publicProcedure.query(({ ctx }) => ({
    signedIn: ctx.session !== undefined,
    greeting: ctx.session ? `Hello, ${String(ctx.session.getJWTPayload().displayName)}!` : "Hello, stranger!",
  })),

  signUp: publicProcedure.input(z.object({ name, password, displayName: displayName.optional() })).mutation(async ({ ctx, input }) => {
    const user = await ctx.users.create(
      input.name,
      input.password,
      input.displayName ?? input.name,
      ctx.admins.has(input.name) ? "admin" : "member",
    );
    if (!user) throw new TRPCError({ code: "CONFLICT", message: "That name is taken." });
    return signIn(ctx, user);
  }),

  signIn: publicProcedure
    .input(z.object({ name: z.string().trim().toLowerCase().max(64), password: z.string().max(200), remember: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.users.check(input.name, input.password);
      // 400, never 401: a 401 means "session problem" to the SDK and to sessionRefreshLink.
      if (!user) throw new TRPCError({ code: "BAD_REQUEST", message: "Wrong name or password." });
      return signIn(ctx, user, input.remember ?? true);
    }),

  me: protectedProcedure.query(({ ctx }) => describe(ctx.session)),

  /** Changes the display name: a new access token on this response, so it shows at once. */
  rename: protectedProcedure.input(z.object({ displayName })).mutation(async ({ ctx, input }) => {
    const userId = ctx.session.getUserId();
    await ctx.users.rename(userId, input.displayName);
    await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), displayName: input.displayName });
    // The user's other sessions pick the new name up at their next refresh.
    const others = (await ctx.sessions.getAllSessionHandlesForUser(userId)).filter((h) => h !== ctx.session.getHandle());
    for (const handle of others) {
      const info = await ctx.sessions.getSessionInformation(handle);
      if (info) await ctx.sessions.updateJWTPayload(handle, { ...info.jwtPayload, displayName: input.displayName });
    }
    return describe(ctx.session);
  }),

  notes: router({
    list: protectedProcedure.query(async ({ ctx }) => (await ctx.session.getSessionData<SessionData>()).notes ?? []),
    add: protectedProcedure
      .input(z.object({ text: z.string().trim().min(1, "A note cannot be empty.").max(500, "A note has at most 500 characters.") }))
      .mutation(async ({ ctx, input }) => {
        return (await ctx.session.modifySessionData(withNote(input.text))).notes;
      }),
    remove: protectedProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
      return (await ctx.session.modifySessionData(withoutNote(input.id))).notes;
    }),
  }),

  /** "Your devices" (devices.ts). */
  mySessions: devicesRouter,

  /** Only for admins (the role claim, see ADMINS): 403 INVALID_CLAIM for everyone else. */
  adminStats: adminProcedure.query(async ({ ctx }) => ({
    users: await ctx.users.count(),
    sessionsOfMine: (await ctx.sessions.getAllSessionHandlesForUser(ctx.session.getUserId())).length,
  })),

  signOut: protectedProcedure.mutation(async ({ ctx }) => {
    await ctx.session.revokeSession();
    return { ok: true };
  }),

  /** Re-checks the password: a new session for this browser, signed in now (see signOutEverywhere). */
  confirmPassword,

  /** Needs a password sign-in in the last 5 minutes (confirmPassword gives one): 403 otherwise. */
  signOutEverywhere: recentSignInProcedure.mutation(async ({ ctx }) => {
    await ctx.session.revokeSession(); // clears this browser's cookies
    const others = await ctx.sessions.revokeAllSessionsForUser(ctx.session.getUserId());
    return { signedOut: others.length + 1 };
  }),
});

export type AppRouter = typeof appRouter;
