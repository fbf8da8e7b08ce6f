// The example's tRPC setup: the app keeps its own initTRPC; sessionkit adds a context, a
// middleware and an error formatter.

import { initTRPC } from "@trpc/server";
import { ZodError } from "zod";
import { type SessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";
import type { Users } from "../shared/users.js";

/** sessionkit's context plus what this app adds. */
export interface AppContext extends SessionContext {
  users: Users;
  /** The browser, from its User-Agent ("Firefox 128 on Linux"), kept with each session so "my sessions" can tell devices apart. */
  device: string;
  /** Names that sign up as admins (their user record's role; the `role` claim reads it). */
  admins: ReadonlySet<string>;
}

const t = initTRPC.context<AppContext>().create({
  // Our own formatter, calling sessionkit's inside: `data.sessionCode` for session errors,
  // `data.issues` with readable validation messages.
  errorFormatter(opts) {
    const shape = sessionErrorFormatter(opts);
    const cause = opts.error.cause;
    const issues = cause instanceof ZodError ? cause.issues.map((issue) => issue.message) : undefined;
    return { ...shape, data: { ...shape.data, issues } };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;
/** Every resolver behind it sees `ctx.session` as a `Session`. */
export const protectedProcedure = t.procedure.use(requireSession());
