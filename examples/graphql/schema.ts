// The example's API: sign-up and sign-in (app-owned passwords), `me`, the display name in the
// access token (updateJWTPayload), private notes in session data, sign-out.

import { GraphQLError } from "graphql";
import { createSchema } from "graphql-yoga";
import { type AuthedContext, type SessionContext, authDirective } from "../../src/adapters/graphql/index.js";
import type { Session } from "../../src/index.js";
import { type Note, type SessionData, withNote, withoutNote } from "../shared/notes.js";
import type { User, Users } from "../shared/users.js";

/** What the app adds to the context itself (Yoga's `context` option). */
export interface OwnContext {
  users: Users;
  admins: ReadonlySet<string>;
  userAgent: string;
}
/** The context resolvers see: sessionkit's fields (from `useSessions`) plus the app's own. */
export type AppContext = SessionContext & OwnContext;
type Authed = AuthedContext<AppContext>;

const typeDefs = /* GraphQL */ `
  "The signed-in user, as the current session knows them. Every field needs a session."
  type Me @auth {
    userId: ID!
    name: String!
    displayName: String!
    role: String
    "When the current access token expires (ISO date); the browser SDK refreshes it silently."
    accessTokenExpiresAt: String!
    "Private notes kept in this session's data (never sent to the browser as a whole)."
    notes: [Note!]!
  }
  type Note { id: ID!  text: String!  at: String! }

  type Query {
    "Works signed in or out."
    hello: String!
    me: Me! @auth
    "Admins only: a 403 for everyone else (a valid session, the wrong role)."
    adminStats: Int! @auth
  }

  type Mutation {
    "remember: false (the box unticked): the session's cookies last for this browser session only."
    signUp(name: String!, password: String!, displayName: String, remember: Boolean): Me!
    signIn(name: String!, password: String!, remember: Boolean): Me!
    "A new access token leaves with this response, so the new name shows at once."
    rename(displayName: String!): Me! @auth
    addNote(text: String!): [Note!]! @auth
    removeNote(id: ID!): [Note!]! @auth
    signOut: Boolean! @auth
  }
`;

/** A client mistake: 400-class, never 401 (a 401 means "refresh your session" to the SDK). */
function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
}

function check(value: string, pattern: RegExp, message: string): string {
  const trimmed = value.trim();
  if (!pattern.test(trimmed)) throw badInput(message);
  return trimmed;
}

const NAME = /^[a-z0-9_.-]{3,32}$/;
const DISPLAY_NAME = /^.{1,40}$/u;

async function signIn(ctx: AppContext, user: User, remember: boolean | null | undefined): Promise<Session> {
  // A browser signed in as someone else: end that session rather than leave it behind.
  await ctx.session?.revokeSession();
  return ctx.createNewSession({
    userId: user.id,
    jwtPayload: { name: user.name, displayName: user.displayName, ...(ctx.admins.has(user.name) ? { role: "admin" } : {}) },
    sessionData: { notes: [], device: ctx.userAgent } satisfies SessionData,
    remember: remember !== false,
  });
}

async function notesOf(session: Session): Promise<Note[]> {
  return (await session.getSessionData<Partial<SessionData>>()).notes ?? [];
}

const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();

/** The executable schema, `@auth` applied. */
export const schema = authDirectiveTransformer(
  createSchema<AppContext>({
    typeDefs: [authDirectiveTypeDefs, typeDefs],
    resolvers: {
      // Me's parent is the Session itself.
      Me: {
        userId: (s: Session) => s.getUserId(),
        name: (s: Session) => String(s.getJWTPayload().name ?? ""),
        displayName: (s: Session) => String(s.getJWTPayload().displayName ?? ""),
        role: (s: Session) => (s.getJWTPayload().role as string | undefined) ?? null,
        accessTokenExpiresAt: (s: Session) => new Date(s.getAccessTokenExpiry()).toISOString(),
        notes: (s: Session) => notesOf(s),
      },
      Query: {
        hello: (_: unknown, __: unknown, ctx: AppContext) =>
          ctx.session ? `Hello, ${String(ctx.session.getJWTPayload().displayName)}!` : "Hello, stranger!",
        me: (_: unknown, __: unknown, ctx: Authed) => ctx.session,
        async adminStats(_: unknown, __: unknown, ctx: Authed) {
          if (ctx.session.getJWTPayload().role !== "admin") {
            throw new GraphQLError("Only admins can see this.", { extensions: { code: "FORBIDDEN", http: { status: 403 } } });
          }
          return (await ctx.sessions.getAllSessionHandlesForUser(ctx.session.getUserId())).length;
        },
      },
      Mutation: {
        async signUp(
          _: unknown,
          args: { name: string; password: string; displayName?: string | null; remember?: boolean | null },
          ctx: AppContext,
        ) {
          const name = check(args.name.toLowerCase(), NAME, "A name has 3 to 32 letters, digits, dots, dashes or underscores.");
          if (args.password.length < 8 || args.password.length > 200) throw badInput("A password has 8 to 200 characters.");
          const displayName = check(args.displayName ?? name, DISPLAY_NAME, "A display name has 1 to 40 characters.");
          const user = await ctx.users.create(name, args.password, displayName);
          if (!user) throw badInput("That name is taken.");
          return signIn(ctx, user, args.remember);
        },
        async signIn(_: unknown, args: { name: string; password: string; remember?: boolean | null }, ctx: AppContext) {
          const user = await ctx.users.check(args.name.trim().toLowerCase().slice(0, 64), args.password.slice(0, 200));
          if (!user) throw badInput("Wrong name or password.");
          return signIn(ctx, user, args.remember);
        },
        async rename(_: unknown, args: { displayName: string }, ctx: Authed) {
          const displayName = check(args.displayName, DISPLAY_NAME, "A display name has 1 to 40 characters.");
          await ctx.users.rename(ctx.session.getUserId(), displayName);
          await ctx.session.updateJWTPayload({ ...ctx.session.getJWTPayload(), displayName });
          return ctx.session;
        },
        async addNote(_: unknown, args: { text: string }, ctx: Authed) {
          const text = args.text.trim();
          if (text.length === 0 || text.length > 500) throw badInput("A note has 1 to 500 characters.");
          return (await ctx.session.modifySessionData(withNote(text))).notes;
        },
        async removeNote(_: unknown, args: { id: string }, ctx: Authed) {
          return (await ctx.session.modifySessionData(withoutNote(args.id))).notes;
        },
        async signOut(_: unknown, __: unknown, ctx: Authed) {
          await ctx.session.revokeSession();
          return true;
        },
      },
    },
  }),
);
