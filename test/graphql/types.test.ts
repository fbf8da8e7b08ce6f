// Types resolvers rely on: ctx.session is optional in SessionContext and a Session behind
// @auth (AuthedContext), app fields survive the narrowing, and the plugin fits createYoga.

import { createSchema, createYoga } from "graphql-yoga";
import { describe, expectTypeOf, it } from "vitest";
import {
  type AuthedContext,
  type SessionContext,
  type SessionErrorExtensions,
  authDirective,
  useSessions,
} from "../../src/adapters/graphql/index.js";
import type { JsonObject, NewSessionInput, Session, SessionError, Sessions } from "../../src/index.js";

type Payload = { role: "admin" | "user"; name: string };

describe("sessionkit/graphql types", () => {
  it("narrows the session behind @auth and keeps the app's own fields", () => {
    expectTypeOf<SessionContext["session"]>().toEqualTypeOf<Session | undefined>();
    expectTypeOf<SessionContext["sessionError"]>().toEqualTypeOf<SessionError | undefined>();
    expectTypeOf<SessionContext["sessions"]>().toEqualTypeOf<Sessions>();
    expectTypeOf<SessionContext["createNewSession"]>().toEqualTypeOf<(input: NewSessionInput) => Promise<Session>>();
    expectTypeOf<AuthedContext["session"]>().toEqualTypeOf<Session>();
    type App = SessionContext & { db: { ping(): void } };
    expectTypeOf<AuthedContext<App>["session"]>().toEqualTypeOf<Session>();
    expectTypeOf<AuthedContext<App>["db"]>().toEqualTypeOf<{ ping(): void }>();
    expectTypeOf<SessionErrorExtensions["code"]>().toEqualTypeOf<"UNAUTHENTICATED" | "FORBIDDEN" | "INTERNAL_SERVER_ERROR">();
  });

  it("plugs into createYoga with a typed context", () => {
    const build = (sessions: Sessions) => {
      const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective();
      const schema = authDirectiveTransformer(
        createSchema<SessionContext>({
          typeDefs: [authDirectiveTypeDefs, "type Query { me: String! @auth }"],
          resolvers: { Query: { me: (_: unknown, __: unknown, ctx: AuthedContext) => ctx.session.getUserId() } },
        }),
      );
      return createYoga({ schema, plugins: [useSessions(sessions, { antiCsrfCheck: "all" })] });
    };
    expectTypeOf(build).returns.toHaveProperty("fetch");
    // @ts-expect-error: the scope is a closed set
    const wrong = () => useSessions({} as Sessions, { antiCsrfCheck: "queries" });
    expectTypeOf(wrong).toBeFunction();
  });

  it("carries the payload type of createSessions<P>() into the context", () => {
    expectTypeOf<SessionContext<Payload>["session"]>().toEqualTypeOf<Session<Payload> | undefined>();
    expectTypeOf<SessionContext<Payload>["sessions"]>().toEqualTypeOf<Sessions<Payload>>();
    type App = SessionContext<Payload> & { db: { ping(): void } };
    // P follows the context's own sessions unless given.
    expectTypeOf<AuthedContext<App>["session"]>().toEqualTypeOf<Session<Payload>>();
    expectTypeOf<AuthedContext<App, Payload>["session"]>().toEqualTypeOf<Session<Payload>>();
    expectTypeOf<AuthedContext<App>["db"]>().toEqualTypeOf<{ ping(): void }>();
    expectTypeOf<AuthedContext["session"]>().toEqualTypeOf<Session<JsonObject>>();
    const me = (_: unknown, __: unknown, ctx: AuthedContext<App>) => {
      // @ts-expect-error: not a key of the payload
      ctx.session.getJWTPayload().admin;
      // @ts-expect-error: role is "admin" | "user"
      void ctx.session.updateJWTPayload({ role: "root", name: "n" });
      return ctx.session.getJWTPayload().role;
    };
    expectTypeOf(me).returns.toEqualTypeOf<"admin" | "user">();
    const plugin = (sessions: Sessions<Payload>) => useSessions(sessions);
    expectTypeOf(plugin).returns.toEqualTypeOf<ReturnType<typeof useSessions<Payload>>>();
  });
});
