// `createSessions`: the public entry point, a thin typed layer over the engine.

import { refreshClaimsForUser } from "./claims-refresh.js";
import { type CleanupOptions, type CleanupResult, cleanupInBatches } from "./cleanup.js";
import { CorsPolicy } from "./cors.js";
import type { SessionSummary } from "./devices.js";
import { reportRefusal } from "./diagnostics.js";
import { isSessionError } from "./errors.js";
import { Engine, type GetSessionOptions, type NewSessionInput } from "./engine.js";
import { noteConnection } from "./remote-address.js";
import { type NodeMiddleware, handleRequest, nodeMiddleware } from "./handler.js";
import type { SessionRequest, SessionResponse } from "./http.js";
import type { PublicJwk } from "./keys.js";
import { createNewSession, refreshSession } from "./lifecycle.js";
import { type AntiCsrfMode, type CorsOptions, type CreateSessionsOptions, type RevocationMode, resolveOptions } from "./options.js";
import { Session } from "./session.js";
import { assertJson, modifyData } from "./session-data.js";
import { assertCustomPayload } from "./access-token.js";
import type { JsonObject, SessionStore } from "./store.js";

/** What `getSessionInformation` returns. */
export interface SessionInformation<P extends JsonObject = JsonObject> {
  userId: string;
  jwtPayload: P;
  sessionData: unknown;
  createdAt: Date;
  expiresAt: Date;
}

/** CORS headers for one request; also answers preflights through `handle`. */
export type CorsHeaders = (request: SessionRequest) => Headers;

/** The session settings adapters need to know about. */
export interface SessionsConfig {
  readonly basePath: string;
  readonly refreshPath: string;
  readonly antiCsrf: AntiCsrfMode;
  readonly revocation: RevocationMode;
}

/**
 * The sessions of one application, created by {@link createSessions}. `P` is the type of the
 * custom access-token payload (`createSessions<P>()`), carried by every `Session<P>`.
 */
export interface Sessions<P extends JsonObject = JsonObject> {
  /** Read-only settings, for adapters and clients. */
  readonly config: SessionsConfig;
  /**
   * Starts a session (sign-in) and writes its cookies (or, for a `request` sent with
   * `st-auth-mode: header`, its `st-access-token`/`st-refresh-token` headers) and `front-token`
   * to `response`. Given the sign-in `request`, a cookie sign-in first runs the login-CSRF check
   * (with anti-CSRF on, the request must carry the `rid` header a cross-site form cannot send):
   * pass it whenever there is one.
   */
  createNewSession(input: NewSessionInput<P>, response: SessionResponse, request?: SessionRequest): Promise<Session<P>>;
  /** The request's session; `undefined` only with `sessionRequired: false` and no access token. */
  getSession(
    request: SessionRequest,
    response: SessionResponse,
    options: GetSessionOptions & { sessionRequired: false },
  ): Promise<Session<P> | undefined>;
  getSession(request: SessionRequest, response: SessionResponse, options?: GetSessionOptions): Promise<Session<P>>;
  /** Rotates the request's refresh token (what `POST /auth/session/refresh` does). */
  refreshSession(request: SessionRequest, response: SessionResponse): Promise<Session<P>>;
  /**
   * Answers `POST /auth/session/refresh`, `POST /auth/signout`, `GET /auth/jwt/jwks.json`,
   * `GET /auth/.well-known/openid-configuration` (with `issuer`) and CORS preflights; `undefined` for other requests.
   * `connection`: what the runtime passed the handler next to `request` (Bun's `server`, Deno's
   * `info`, Node's `IncomingMessage`, a Hono `Context`), the client address `trustProxy` starts
   * from (a `Request` has no socket); it is kept for this `Request` object, so a tRPC or Yoga
   * handler given the same object later sees it too.
   */
  handle(request: Request, connection?: unknown): Promise<Response | undefined>;
  /** The same routes as a Node `(req, res, next)` middleware for `node:http`, Express and Connect. */
  middleware(): NodeMiddleware;
  /** Revokes one session; true if it existed. */
  revokeSession(handle: string): Promise<boolean>;
  /**
   * Makes every live session of the user fetch its claims again: with revocation `"notify"` at its
   * next request on any instance (no query per request), otherwise at its next refresh. One store
   * call (it clears the claims kept with the user's sessions and, with notify, announces it).
   * Returns the handles of the sessions it reached.
   */
  refreshClaimsForUser(userId: string): Promise<string[]>;
  /** Revokes every session of a user; returns the revoked handles. */
  revokeAllSessionsForUser(userId: string): Promise<string[]>;
  /** The user's live sessions with their devices, most recently active first. One store call. */
  listSessions(userId: string): Promise<SessionSummary[]>;
  /** Handles of the user's live sessions. */
  getAllSessionHandlesForUser(userId: string): Promise<string[]>;
  /** A session's stored state, or undefined when it does not exist or has expired. */
  getSessionInformation(handle: string): Promise<SessionInformation<P> | undefined>;
  /** Overwrites a session's data; false when the session does not exist. */
  updateSessionData(handle: string, data: unknown): Promise<boolean>;
  /** Atomic read-modify-write of a session's data; no update is lost. */
  modifySessionData<T = unknown>(handle: string, fn: (data: T) => T | Promise<T>): Promise<T>;
  /** Replaces a session's custom payload; takes effect at its next refresh. False when it does not exist. */
  updateJWTPayload(handle: string, payload: P): Promise<boolean>;
  /** Sets the cross-origin policy and returns the CORS headers for a request. */
  cors(options?: CorsOptions): CorsHeaders;
  /** The public signing keys, as served at `/auth/jwt/jwks.json`. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
  /** Deletes expired sessions, keys and revocation-log entries. Schedule it (hourly is plenty). */
  cleanup(options?: CleanupOptions): Promise<CleanupResult>;
  /**
   * The same sessions on another store, for one request: store calls go to `store`, while the
   * loaded signing keys, the verified-token cache, settings and events stay this instance's. On
   * Cloudflare Workers, keep one `createSessions` at module level and call
   * `sessions.withStore(drizzleStore(drizzle(sql)))` with the request's own connection. Cheap:
   * no query, no key load. Its `close()` closes nothing (the instance from `createSessions` does).
   */
  withStore(store: SessionStore): Sessions<P>;
  /** Stops listeners and timers. */
  close(): Promise<void>;
}

const engines = new WeakMap<object, Engine>();

/** A refusal leaves through the debug log (`debug` option) on its way to the caller. */
async function reportingRefusals<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isSessionError(error)) reportRefusal(error);
    throw error;
  }
}

/** @internal The engine behind a `Sessions` object, for the adapters in this package. */
export function engineOf(sessions: Sessions<JsonObject>): Engine {
  const engine = engines.get(sessions);
  if (!engine) throw new TypeError("sessionkit: expected the object returned by createSessions()");
  return engine;
}

/**
 * Creates the sessions of an application on a store. `P` types the custom access-token payload:
 * `createSessions<{ name: string }>({ store })` makes `getJWTPayload()` return `{ name: string }`.
 */
export function createSessions<P extends JsonObject = JsonObject>(options: CreateSessionsOptions): Sessions<P> {
  const resolved = resolveOptions(options);
  const engine = new Engine(resolved);
  const cors: CorsState = { policy: resolved.cors ? new CorsPolicy(resolved.cors) : undefined };
  engine.cors = cors.policy;
  const sessions = sessionsOn<P>(engine, cors);
  sessions.close = async () => {
    engine.live.close();
    engine.telemetry.close();
    await engine.revocation.close();
    await engine.events.settled();
  };
  return sessions;
}

/** The cross-origin policy, shared by an instance and its `withStore` views. */
interface CorsState {
  policy: CorsPolicy | undefined;
}

/** The public object over an engine (the instance's own, or a `withStore` view's). */
function sessionsOn<P extends JsonObject>(engine: Engine, cors: CorsState): Sessions<P> {
  const { store } = engine.options;
  const now = () => engine.now();

  const sessions: Sessions<P> = {
    config: Object.freeze({
      basePath: engine.options.basePath,
      refreshPath: engine.transport.refreshPath,
      antiCsrf: engine.options.antiCsrf,
      revocation: engine.options.revocation,
    }),
    createNewSession: (input, response, request) => createNewSession(engine, input, response, request) as Promise<Session<P>>,
    getSession: (async (request: SessionRequest, response: SessionResponse, getOptions?: GetSessionOptions) => {
      const verified = await reportingRefusals(engine.verifyRequest(request, response, getOptions));
      if (!verified) return undefined;
      const session = new Session<P>(engine, verified.claims, verified.writer);
      // After refreshClaimsForUser (here or, through notify, on another instance): fresh values
      // and a new access token on this response. A map lookup otherwise: no query.
      if (engine.claims.needsRefetch(verified.claims.userId, verified.claims.payload)) await session.refetchAllClaims();
      return session;
    }) as Sessions<P>["getSession"],
    refreshSession: (request, response) => reportingRefusals(refreshSession(engine, request, response)) as Promise<Session<P>>,
    handle: (request, connection) => {
      if (connection !== undefined) noteConnection(request, connection);
      return handleRequest(engine, cors.policy, request);
    },
    middleware: () => nodeMiddleware(engine, () => cors.policy),
    revokeSession: async (handle) => (await engine.revoker.revoke({ handle: String(handle) })).length > 0,
    revokeAllSessionsForUser: (userId) => engine.revoker.revoke({ userId: String(userId) }),
    refreshClaimsForUser: (userId) => refreshClaimsForUser(engine, String(userId)),
    getAllSessionHandlesForUser: (userId) => engine.run(() => store.listHandles(String(userId), now())),
    listSessions: (userId) => engine.run(() => store.listSessions(String(userId), now())),
    async getSessionInformation(handle) {
      const row = await engine.run(() => store.getSession(String(handle), now()));
      return (
        row && {
          userId: row.userId,
          jwtPayload: engine.claims.custom(row.jwtPayload) as P,
          sessionData: row.sessionData,
          createdAt: row.createdAt,
          expiresAt: row.expiresAt,
        }
      );
    },
    updateSessionData(handle, data) {
      assertJson(data);
      return engine.run(() => store.setSessionData(String(handle), data, now()));
    },
    modifySessionData: (handle, fn) => modifyData(engine, String(handle), fn),
    updateJWTPayload(handle, payload) {
      assertCustomPayload(payload);
      engine.claims.assertNotClaims(payload);
      return engine.run(async () => (await store.setJWTPayload(String(handle), payload, now())) !== undefined);
    },
    cors(corsOptions) {
      if (corsOptions) engine.cors = cors.policy = new CorsPolicy(corsOptions);
      return (request) => cors.policy?.headersFor(request) ?? new Headers();
    },
    jwks: () => engine.keys.jwks(),
    cleanup: (cleanupOptions) => {
      const at = now();
      return cleanupInBatches(store, engine.run, at, engine.revocationLogStart(at), cleanupOptions);
    },
    withStore(other) {
      if (!other || typeof other !== "object" || typeof (other as Partial<SessionStore>).loadKeys !== "function") {
        throw new TypeError("sessionkit: withStore needs a store, e.g. sessions.withStore(drizzleStore(db))");
      }
      return sessionsOn<P>(engine.withStore(other), cors);
    },
    // A view owns no listener or timer: the instance from createSessions closes them.
    close: async () => {},
  };
  engines.set(sessions, engine);
  return sessions;
}
