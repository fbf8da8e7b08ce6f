// The GraphQL example as a factory, so tests can build it on their own database: Yoga with the
// sessionkit plugin (which also answers /auth/session/refresh, /auth/signout and the JWKS) and
// GraphiQL at /graphql.

import { createYoga } from "graphql-yoga";
import { useSessions } from "../../src/adapters/graphql/index.js";
import { type CreateSessionsOptions, createSessions } from "../../src/index.js";
import { type AnyPgDatabase, drizzleStore, migrate } from "../../src/storage/index.js";
import { type OwnContext, schema } from "./schema.js";
import { Users, ensureUsersTable } from "../shared/users.js";

export interface AppOptions {
  /** Any Drizzle Postgres database (PGlite in `npm run example:graphql`, postgres.js in tests). */
  db: AnyPgDatabase;
  /** Options of `createSessions`, without the store. */
  sessionsOptions?: Omit<CreateSessionsOptions, "store">;
  /** Names that get `role: "admin"`. */
  admins?: Iterable<string>;
  /** Yoga's logger (default: Yoga's console logger). */
  logging?: boolean;
}

const EXAMPLE_QUERY = /* GraphQL */ `# Sign up (or sign in), then run the other operations.
# remember: false is the unticked "Remember me" box: cookies for this browser session only.
mutation SignUp {
  signUp(name: "ada", password: "correct horse", displayName: "Ada", remember: true) { userId displayName }
}

query Me {
  hello
  me { name displayName accessTokenExpiresAt notes { text at } }
}

mutation Rename { rename(displayName: "Countess") { displayName } }

mutation Note { addNote(text: "buy milk") { id text } }

mutation SignOut { signOut }
`;

export async function createApp(options: AppOptions) {
  const { db } = options;
  await migrate(db);
  await ensureUsersTable(db);
  const sessions = createSessions({ ...options.sessionsOptions, store: drizzleStore(db) });
  const users = new Users(db);
  const admins: ReadonlySet<string> = new Set(options.admins ?? []);

  const yoga = createYoga<Record<string, unknown>, OwnContext>({
    schema,
    logging: options.logging ?? true,
    plugins: [useSessions(sessions)],
    context: ({ request }): OwnContext => ({
      users,
      admins,
      userAgent: (request.headers.get("user-agent") ?? "unknown device").slice(0, 200),
    }),
    graphiql: {
      title: "sessionkit GraphQL example",
      defaultQuery: EXAMPLE_QUERY,
      // GraphiQL is not the SuperTokens SDK: send the custom header the anti-CSRF check wants.
      additionalHeaders: { rid: "anti-csrf" },
    },
  });

  return { sessions, yoga, users, close: () => sessions.close() };
}

export type App = Awaited<ReturnType<typeof createApp>>;
