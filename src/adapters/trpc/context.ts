// The tRPC context factory: resolves the request's session once per HTTP request (shared by every
// call of a batch) for the fetch, standalone/Node, Express and Fastify adapters.

import type { TRPCRequestInfo } from "@trpc/server/http";
import type { NewSessionInput } from "../../core/engine.js";
import { type SessionError, isSessionError } from "../../core/errors.js";
import { type NodeResponseLike, type SessionRequest, type SessionResponse, requestMethod } from "../../core/http.js";
import { checkAntiCsrf, connectionSession, createSessionFrom, engineOf, markResponseSent, noteConnection } from "../../core/internal.js";
import type { Session } from "../../core/session.js";
import type { Sessions } from "../../core/sessions.js";
import type { JsonObject } from "../../core/store.js";
import { toTRPCError } from "./errors.js";

/** Which calls the anti-CSRF check applies to: all (`true`), none (`false`), or decided per call. */
export type AntiCsrfPolicy = boolean | ((call: { type: TRPCRequestInfo["type"]; method: string }) => boolean);

/** Options of {@link createSessionContext}. */
export interface SessionContextOptions {
  /**
   * When the anti-CSRF check of the configured mode runs. Default: for mutations and for any
   * request not sent with GET or HEAD (queries over GET are not checked); `true` checks every
   * call, `false` none. `requireSession({ antiCsrfCheck })` overrides it per procedure.
   */
  antiCsrfCheck?: AntiCsrfPolicy;
}

/** What every tRPC adapter passes to `createContext`, described structurally. */
export interface SessionContextInput {
  /** The request: a fetch `Request`, a Node `IncomingMessage`, an Express or Fastify request. */
  req: SessionRequest;
  /** Fetch adapter: the headers that leave with the response. */
  resHeaders?: Headers;
  /** Node, standalone and Express: the `ServerResponse`; Fastify: the reply (its `raw` is used). */
  res?: NodeResponseLike | { raw: NodeResponseLike } | object;
  /** tRPC's request info (batch, accept header, procedure type, calls; `connectionParams` on WebSockets and SSE). */
  info?: Pick<TRPCRequestInfo, "accept" | "type"> & { calls?: readonly { procedure: unknown }[]; connectionParams?: unknown };
}

/**
 * The context `createSessionContext` gives every procedure. Spread it into your own context to keep it working.
 * `P` is the access-token payload type of the sessions (`createSessions<P>()`). A type alias, not an interface,
 * so it is assignable to `Record<string, unknown>` (what `@hono/trpc-server`'s `createContext` returns).
 */
export type SessionContext<P extends JsonObject = JsonObject> = {
  /**
   * The request's session, or `undefined` (no token, expired or bad token, revoked, or a failed
   * anti-CSRF check on a checked request). Behind `requireSession()` it is always a `Session`.
   */
  session: Session<P> | undefined;
  /** The `createSessions` instance. */
  sessions: Sessions<P>;
  /** Starts a session (sign-in); its cookies and `front-token` leave with this response. */
  createNewSession(input: NewSessionInput<P>): Promise<Session<P>>;
};

/** What `requireSession()` needs to decide per call; kept on the context under a symbol so a spread keeps it. */
export interface SessionState {
  readonly sessions: Sessions;
  /** The verified session, before the anti-CSRF check. */
  readonly verified: Session | undefined;
  /** Why there is no verified session (expired, bad, revoked); undefined when there simply is no token. */
  readonly failure: SessionError | undefined;
  /** The anti-CSRF failure of this request, if any (checked once). */
  readonly csrfFailure: SessionError | undefined;
  readonly method: string;
  readonly policy: AntiCsrfPolicy;
  /**
   * A WebSocket connection: authenticated once at the upgrade (origin checked, so every call
   * over it counts as anti-CSRF checked), re-checked before each protected call.
   */
  readonly connection: boolean;
}

const STATE = Symbol.for("sessionkit.trpc.sessionState");
const SAFE_METHODS = new Set(["GET", "HEAD"]);

/** The `requireSession()` middlewares and their options, to find protected calls in a batch. */
export const sessionMiddlewares = new WeakMap<object, { antiCsrfCheck?: boolean | undefined }>();

/** What `requireSession()` decides for a call of this type: its session, or the error to throw. */
export function sessionFor(
  state: SessionState,
  type: TRPCRequestInfo["type"],
  antiCsrfCheck?: boolean,
): { session: Session; failure?: undefined } | { failure: SessionError } {
  if (!state.verified)
    return { failure: state.failure ?? engineOf(state.sessions).error("UNAUTHORISED", "no access token in the request") };
  const check = antiCsrfCheck ?? antiCsrfApplies(state.policy, type, state.method);
  return check && state.csrfFailure ? { failure: state.csrfFailure } : { session: state.verified };
}

/** The failure of the first protected call of the request that cannot run, if any. */
function refusalOf(calls: readonly { procedure: unknown }[], state: SessionState): SessionError | undefined {
  for (const { procedure } of calls) {
    const middlewares = (procedure as { _def?: { middlewares?: unknown[] } } | null)?._def?.middlewares ?? [];
    for (const middleware of middlewares) {
      const options = typeof middleware === "function" ? sessionMiddlewares.get(middleware) : undefined;
      const failure = options && sessionFor(state, "mutation", options.antiCsrfCheck).failure;
      if (failure) return failure;
    }
  }
  return undefined;
}

/** The session state of a context made by `createSessionContext` (or spread from one). */
export function sessionStateOf(ctx: unknown): SessionState | undefined {
  if (ctx === null || typeof ctx !== "object") return undefined;
  return (ctx as { [STATE]?: SessionState })[STATE];
}

/** The default policy: mutations, and anything not sent with GET or HEAD. */
const checkUnsafeCalls: AntiCsrfPolicy = ({ type, method }) => type === "mutation" || !SAFE_METHODS.has(method);

/** Whether the anti-CSRF check applies to a call of this type on this request. */
export function antiCsrfApplies(policy: AntiCsrfPolicy, type: TRPCRequestInfo["type"], method: string): boolean {
  return typeof policy === "function" ? policy({ type, method }) : policy;
}

function hasSetHeader(value: unknown): value is NodeResponseLike {
  return typeof value === "object" && value !== null && typeof (value as NodeResponseLike).setHeader === "function";
}

/** tRPC's WebSocket adapter passes the `ws` socket as `res`: something that sends, not an HTTP response. */
function isWebSocket(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { send?: unknown }).send === "function" &&
    typeof (value as { readyState?: unknown }).readyState === "number" &&
    !hasSetHeader(value)
  );
}

/** Where this adapter's response headers go; a closed target when there is none (WebSocket). */
function responseOf(input: SessionContextInput): SessionResponse {
  if (input.resHeaders instanceof Headers) return input.resHeaders;
  if (hasSetHeader(input.res)) return input.res;
  const raw = (input.res as { raw?: unknown } | undefined)?.raw;
  if (hasSetHeader(raw)) return raw;
  // No HTTP response to write to (e.g. a WebSocket connection): cookie-setting calls must fail loudly.
  const closed = new Headers();
  markResponseSent(closed);
  return closed;
}

/**
 * Creates tRPC's `createContext` for any adapter: `{ req, resHeaders }` (fetch),
 * `{ req, res }` (standalone, Node, Express, Fastify). Under the fetch adapter a `Request` has no
 * socket: pass the runtime's second handler argument as the second argument for the client IP
 * (`createContext(opts, server)` on Bun, `info` on Deno; `@hono/trpc-server` passes its Context
 * itself). The session is resolved once per HTTP
 * request; public procedures run even when the token is expired or bad (`ctx.session` is then
 * `undefined`), and `requireSession()` reports the reason. A store outage fails the request
 * with `INTERNAL_SERVER_ERROR` (500).
 */
export function createSessionContext<P extends JsonObject = JsonObject>(sessions: Sessions<P>, options: SessionContextOptions = {}) {
  engineOf(sessions); // fail at startup, not on the first request, when given the wrong object
  const policy = options.antiCsrfCheck ?? checkUnsafeCalls;
  // `runtime`: the runtime's second handler argument (Bun's server, Deno's info, Node's
  // IncomingMessage), or the Hono Context @hono/trpc-server passes: the client address of `req`.
  return async (input: SessionContextInput, runtime?: unknown): Promise<SessionContext<P>> => {
    const { req } = input;
    if (runtime !== undefined && typeof req === "object" && req !== null) noteConnection(req, runtime);
    const response = responseOf(input);
    const method = requestMethod(req);
    const connection = isWebSocket(input.res);
    let verified: Session<P> | undefined;
    let failure: SessionError | undefined;
    try {
      if (connection) {
        const auth = await connectionSession(sessions, req, input.info?.connectionParams);
        verified = auth.session as Session<P> | undefined;
        failure = auth.failure;
      } else verified = await sessions.getSession(req, response, { sessionRequired: false, antiCsrfCheck: false });
    } catch (error) {
      if (!isSessionError(error)) throw error;
      if (error.code === "GENERAL_ERROR") throw toTRPCError(error);
      failure = error;
    }
    // Checked on first need only: most calls are queries over GET that the policy leaves
    // unchecked, and a failed check (a client that sends no `rid`) costs a thrown error.
    let csrfChecked = false;
    let csrfFailure: SessionError | undefined;
    const csrfFailureOf = (): SessionError | undefined => {
      // A connection's origin was checked at the upgrade, for every call it will carry.
      if (connection || csrfChecked || !verified) return csrfFailure;
      csrfChecked = true;
      try {
        checkAntiCsrf(sessions, req, verified);
      } catch (error) {
        if (!isSessionError(error)) throw error;
        csrfFailure = error;
      }
      return csrfFailure;
    };
    // Streamed responses (httpBatchStreamLink, SSE subscriptions) send their headers before any
    // procedure finishes: a cookie set later would be lost, so session calls that set cookies fail
    // loudly instead. Headers written above, during resolution, still go out.
    if (input.info?.accept === "application/jsonl" || input.info?.type === "subscription") markResponseSent(response);

    const type = input.info?.type ?? "unknown";
    const state: SessionState = {
      sessions,
      verified,
      failure,
      get csrfFailure() {
        return csrfFailureOf();
      },
      method,
      policy,
      connection,
    };
    // A batch of mutations in which a protected call cannot run is refused whole, before any call
    // runs: a client that refreshes and then retries the whole request (the SuperTokens SDK does,
    // on the batch's 401) must not repeat the public mutations of the batch.
    const calls = input.info?.calls ?? [];
    if (type === "mutation" && calls.length > 1) {
      const refusal = refusalOf(calls, state);
      if (refusal) throw toTRPCError(refusal);
    }
    // Never hand a session that failed a required anti-CSRF check to a procedure, public or not.
    const session = antiCsrfApplies(policy, type, method) && state.csrfFailure ? undefined : verified;
    const context: SessionContext<P> = {
      session,
      sessions,
      createNewSession: async (newSession) => {
        try {
          return (await createSessionFrom(sessions, newSession, response, req, antiCsrfApplies(policy, type, method))) as Session<P>;
        } catch (error) {
          throw isSessionError(error) && error.code !== "GENERAL_ERROR" ? toTRPCError(error) : error;
        }
      },
    };
    Object.defineProperty(context, STATE, { value: state, enumerable: true });
    // One context serves every call of a connection: its session disappears once revoked or
    // expired (from memory with "notify"), so a public call over the socket cannot use it.
    if (connection && session) {
      Object.defineProperty(context, "session", {
        get: () => (session.signal.aborted ? undefined : session),
        enumerable: true,
        configurable: true,
      });
    }
    return context;
  };
}
