// "Your devices": the user's sessions with their browser (parsed from the User-Agent the
// session stored at sign-in), IP and last activity, from one listSessions query; sign out one of
// them, or every other one in one statement.

import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure, router } from "./trpc.js";

const BROWSERS: [RegExp, string][] = [
  [/Edg\/(\d+)/, "Edge"],
  [/OPR\/(\d+)/, "Opera"],
  [/Firefox\/(\d+)/, "Firefox"],
  [/HeadlessChrome\/(\d+)/, "Headless Chrome"],
  [/Chrome\/(\d+)/, "Chrome"],
  [/Version\/(\d+)[^ ]* (Mobile\/\S+ )?Safari/, "Safari"],
];
const SYSTEMS = ["Windows", "Android", "iPhone", "iPad", "Mac OS X", "CrOS", "Linux"];
/** "Firefox 128 on Linux" from a User-Agent header. */
export function browserOf(userAgent: string | undefined): string {
  const ua = (userAgent ?? "").slice(0, 500);
  const browser = BROWSERS.map(([pattern, name]) => [pattern.exec(ua), name] as const).find(([match]) => match);
  const system = SYSTEMS.find((s) => ua.includes(s))
    ?.replace("Mac OS X", "macOS")
    .replace("CrOS", "ChromeOS");
  if (!browser) return ua ? ua.slice(0, 60) : "unknown device";
  return `${browser[1]} ${browser[0]?.[1] ?? ""}${system ? ` on ${system}` : ""}`;
}

export const devicesRouter = router({
  /** This user's sessions, this one first, then by last activity: one query. */
  list: protectedProcedure.query(async ({ ctx }) => {
    const list = await ctx.session.listSessions();
    return list
      .map((s) => ({
        handle: s.handle,
        current: s.current,
        device: browserOf(s.userAgent),
        ip: s.ip ?? null,
        lastActiveAt: s.lastActiveAt.toISOString(),
        createdAt: s.createdAt.toISOString(),
      }))
      .sort((a, b) => Number(b.current) - Number(a.current));
  }),
  /** Signs out one of my sessions (another device, or this one). */
  revoke: protectedProcedure.input(z.object({ handle: z.string().max(100) })).mutation(async ({ ctx, input }) => {
    if (input.handle === ctx.session.getHandle()) {
      await ctx.session.revokeSession();
      return { signedOut: true };
    }
    const mine = (await ctx.session.listSessions()).some((s) => s.handle === input.handle);
    // 403 for someone else's session: an authorisation failure, not a session problem.
    if (!mine) throw new TRPCError({ code: "FORBIDDEN", message: "That is not one of your sessions." });
    await ctx.sessions.revokeSession(input.handle);
    return { signedOut: false };
  }),
  /** Signs out every other device of mine, in one statement; this one stays signed in. */
  revokeOthers: protectedProcedure.mutation(async ({ ctx }) => ({ signedOut: (await ctx.session.revokeOtherSessions()).length })),
});
