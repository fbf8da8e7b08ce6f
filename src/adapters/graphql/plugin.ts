// `useSessions`: a Yoga plugin that resolves the request's session once while the context is
// built, checks anti-CSRF per operation type, translates session errors, and sends every cookie
// and header the operation produced with the response.

import { type DocumentNode, type ExecutionResult, type GraphQLError, type GraphQLSchema, getOperationAST } from "graphql";
import type { Plugin, YogaInitialContext } from "graphql-yoga";
import { type SessionError, isSessionError } from "../../core/errors.js";
import { checkAntiCsrf, createSessionFrom, engineOf, markResponseSent, noteConnection } from "../../core/internal.js";
import { untilAborted } from "../../core/stream.js";
import type { Session } from "../../core/session.js";
import type { Sessions } from "../../core/sessions.js";
import { assertAuthApplied } from "./assembly.js";
import type { JsonObject } from "../../core/store.js";
import { type SessionContext, isSessionContext } from "./context.js";
import { type Connection, connectionOf, resolveConnection } from "./connection.js";
import { guardedRootField } from "./directive.js";
import { toGraphQLError, translateResult } from "./errors.js";

/** Options of {@link useSessions}. */
export interface UseSessionsOptions {
  /**
   * Which operations get the anti-CSRF check of the sessions' `antiCsrf` mode: `"mutations"`
   * (default: queries, including over GET, and subscriptions are not state-changing), `"all"`,
   * or `false` (only for deployments protected otherwise, e.g. `SameSite=strict` cookies).
   * A mutation that fails the check runs without a session: `@auth` fields answer 401
   * `TRY_REFRESH_TOKEN`.
   */
  antiCsrfCheck?: "mutations" | "all" | false;
  /** Answer sessionkit's own routes (refresh, sign-out, JWKS) when they reach Yoga (default true). */
  routes?: boolean;
}

interface Resolution {
  session?: Session;
  error?: SessionError;
}

/** Per HTTP request: where session calls write, the shared session lookup, the worst status seen. */
interface RequestState {
  readonly headers: Headers;
  resolution?: Promise<Resolution>;
  status: number;
}

type Context = YogaInitialContext & SessionContext;

function isAsyncIterable<T>(value: T): value is Extract<T, AsyncIterable<unknown>> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

function isStreaming(response: Response): boolean {
  const type = response.headers.get("content-type") ?? "";
  return type.includes("text/event-stream") || type.includes("multipart/");
}

/** Copies session headers onto the outgoing headers; Set-Cookie lines are appended one by one. */
function copyHeaders(from: Headers, to: Headers): void {
  for (const line of from.getSetCookie()) to.append("set-cookie", line);
  from.forEach((value, name) => {
    if (name === "set-cookie") return;
    if (name === "access-control-expose-headers") {
      const items = (to.get(name) ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const lower = new Set(items.map((s) => s.toLowerCase()));
      for (const v of value.split(",").map((s) => s.trim())) if (v && !lower.has(v.toLowerCase())) items.push(v);
      to.set(name, items.join(", "));
      return;
    }
    to.set(name, value);
  });
}

/**
 * The Yoga plugin of sessionkit. Adds `session`, `sessionError`, `createNewSession` and
 * `sessions` to the context (see {@link SessionContext}); a store outage while resolving the
 * session does not fail public fields, only those that need the session.
 */
export function useSessions<P extends JsonObject = JsonObject>(
  sessions: Sessions<P>,
  options: UseSessionsOptions = {},
): Plugin<SessionContext<P>> {
  // P only types the context for resolvers; the plugin itself never reads the payload.
  return sessionsPlugin(sessions as Sessions, options) as Plugin<SessionContext<P>>;
}

function sessionsPlugin(sessions: Sessions, options: UseSessionsOptions): Plugin<SessionContext> {
  engineOf(sessions); // fails at startup, not per request, when given something else
  const csrfScope = options.antiCsrfCheck ?? "mutations";
  if (csrfScope !== "mutations" && csrfScope !== "all" && csrfScope !== false) {
    throw new TypeError('sessionkit: antiCsrfCheck must be "mutations", "all" or false');
  }
  const states = new WeakMap<Request, RequestState>();
  /** Contexts of operations over a graphql-ws connection (no HTTP request of their own). */
  const connections = new WeakSet<object>();
  const connectionStates = new WeakMap<object, Connection>();

  const stateOf = (request: Request): RequestState => {
    let state = states.get(request);
    if (!state) {
      state = { headers: new Headers(), status: 0 };
      states.set(request, state);
    }
    return state;
  };

  const resolve = async (request: Request, headers: Headers): Promise<Resolution> => {
    try {
      // Anti-CSRF depends on the operation type, unknown here: it is checked in onExecute.
      // No token is the common anonymous case: build its error without throwing it, a throw
      // through Yoga's async frames costs about a third of an anonymous request.
      const session = await sessions.getSession(request, headers, { antiCsrfCheck: false, sessionRequired: false });
      return session ? { session } : { error: engineOf(sessions).error("UNAUTHORISED", "no access token in the request") };
    } catch (error) {
      if (isSessionError(error)) return { error };
      throw error;
    }
  };

  /**
   * Runs before an operation: drops the session when the operation fails its anti-CSRF check,
   * and returns the refusal of a mutation that needs a session it does not have.
   */
  const admit = (
    context: Context,
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    extendContext: (extension: Partial<Context>) => void,
  ): GraphQLError | undefined => {
    const operation = getOperationAST(document, operationName);
    if (!operation) return undefined;
    const check = csrfScope === "all" || (csrfScope === "mutations" && operation.operation === "mutation");
    // A connection's origin was checked at the upgrade, for every operation it will carry.
    if (context.session && check && !connections.has(context)) {
      try {
        checkAntiCsrf(sessions, context.request, context.session);
      } catch (error) {
        if (!isSessionError(error)) throw error;
        extendContext({ session: undefined, sessionError: error });
      }
    }
    if (context.session || !context.sessionError) return undefined;
    const field = guardedRootField(schema, document, operation);
    if (!field) return undefined;
    return toGraphQLError(context.sessionError, { nodes: [field], path: [field.alias?.value ?? field.name.value] });
  };

  const translator = (context: unknown) => {
    const request = (context as Partial<Context> | undefined)?.request;
    const state = request ? states.get(request) : undefined;
    const record = (status: number) => {
      if (state && status > state.status) state.status = status;
    };
    return (result: ExecutionResult, setResult: (r: ExecutionResult) => void) => {
      const translated = translateResult(result, record);
      if (translated) setResult(translated);
    };
  };

  return {
    // At createYoga for a static schema: a schema whose @auth was never applied is refused.
    onSchemaChange({ schema }) {
      assertAuthApplied(schema);
    },

    async onRequest({ request, serverContext, endResponse }) {
      // Yoga's fetch Request has no socket; the client IP (trustProxy) starts from the server
      // context's: node:http's req, Bun's server, Deno's info.
      noteConnection(request, serverContext);
      if (options.routes === false) return;
      const own = await sessions.handle(request);
      if (own) endResponse(own);
    },

    async onContextBuilding({ context, extendContext }) {
      const request = (context as Partial<Context>).request;
      const connection = request ? undefined : connectionOf(context);
      if (connection) {
        // graphql-ws through Yoga's envelop: authenticated once per socket, re-checked per operation.
        let state = connectionStates.get(connection.key);
        if (!state) connectionStates.set(connection.key, (state = { auth: undefined }));
        connections.add(context);
        extendContext(await resolveConnection(sessions, state, connection));
        return;
      }
      if (!request)
        throw new TypeError("sessionkit: useSessions needs a Yoga context with `request` (or graphql-ws's, see docs/graphql.md)");
      const state = stateOf(request);
      state.resolution ??= resolve(request, state.headers);
      const { session, error } = await state.resolution;
      const target = context as unknown as SessionContext;
      extendContext({
        session,
        sessionError: error,
        sessions,
        async createNewSession(input) {
          const created = await createSessionFrom(sessions, input, state.headers, request, csrfScope !== false);
          // Fields resolved after sign-in in the same operation (e.g. `signIn { me }`) see it.
          target.session = created;
          target.sessionError = undefined;
          return created;
        },
      } satisfies SessionContext);
    },

    onExecute({ args, extendContext, setExecuteFn }) {
      const context = args.contextValue;
      const refusal = isSessionContext(context) ? admit(context, args.schema, args.document, args.operationName, extendContext) : undefined;
      // Replacing the executor (rather than stopping) keeps later plugins, masking included.
      if (refusal) setExecuteFn(() => ({ errors: [refusal] }));
      const translate = translator(context);
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) {
            return { onNext: ({ result: next, setResult: setNext }) => translate(next, setNext) };
          }
          translate(result, setResult);
          return undefined;
        },
      };
    },

    onSubscribe({ args, extendContext }) {
      const context = args.contextValue;
      if (isSessionContext(context)) admit(context, args.schema, args.document, args.operationName, extendContext);
      const translate = translator(context);
      // A subscription behind @auth ends when its session does (revoked, access token expired),
      // with one last result carrying the session error.
      const operation = getOperationAST(args.document, args.operationName);
      const session = isSessionContext(context) ? context.session : undefined;
      const guarded =
        session !== undefined &&
        operation !== null &&
        operation !== undefined &&
        guardedRootField(args.schema, args.document, operation) !== undefined;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result) && guarded && session) {
            const ended = untilAborted(result as AsyncIterable<ExecutionResult>, session.signal, (reason) => ({
              errors: [toGraphQLError(isSessionError(reason) ? reason : engineOf(sessions).error("UNAUTHORISED", "the session ended"))],
            }));
            setResult(ended as typeof result);
            return { onNext: ({ result: next, setResult: setNext }) => translate(next, setNext) };
          }
          if (isAsyncIterable(result)) {
            return { onNext: ({ result: next, setResult: setNext }) => translate(next, setNext) };
          }
          translate(result, setResult);
          return undefined;
        },
      };
    },

    onResponse({ request, response, setResponse, fetchAPI }) {
      const state = states.get(request);
      if (!state) return;
      // From here on a cookie-setting call (e.g. in a subscription event) fails loudly.
      markResponseSent(state.headers);
      // A batch answers 200 even when an operation failed for session reasons; the SDK only
      // refreshes on 401, so the batch takes the worst session status, as one operation does.
      const status = state.status > response.status && !isStreaming(response) ? state.status : response.status;
      if (status === response.status) {
        try {
          copyHeaders(state.headers, response.headers);
          return;
        } catch {
          // Immutable headers (a Response from elsewhere): rebuild it below.
        }
      }
      const headers = new fetchAPI.Headers();
      copyHeaders(response.headers, headers);
      copyHeaders(state.headers, headers);
      setResponse(
        new fetchAPI.Response(response.body, {
          status,
          statusText: status === response.status ? response.statusText : "",
          headers,
        }),
      );
    },
  };
}
