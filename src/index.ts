// sessionkit: sessions for tRPC and GraphQL servers on Postgres. This entry is framework- and
// driver-free; see `sessionkit/drizzle`, `sessionkit/trpc` and `sessionkit/graphql`.

export { createSessions } from "./core/sessions.js";
export type { Sessions, SessionInformation, SessionsConfig, CorsHeaders } from "./core/sessions.js";
export { Session } from "./core/session.js";
export { SessionError, isSessionError } from "./core/errors.js";
export type { ClaimValidationError, SessionErrorCode } from "./core/errors.js";
export { claim, freshSession } from "./core/claims.js";
export type { Claim, ClaimInput, ClaimOptions, ClaimValidator } from "./core/claims.js";
export type { RevocationReason, SessionEvent, SessionEventName, SessionHooks } from "./core/events.js";
export type { NewSessionInput, GetSessionOptions } from "./core/engine.js";
export type { SessionSummary, TrustProxy } from "./core/devices.js";
export type { OpenTelemetryApi } from "./core/otel-api.js";
export type {
  AntiCsrfMode,
  CorsOptions,
  CreateSessionsOptions,
  RevocationMode,
  SigningAlgorithm,
} from "./core/options.js";
export type { CleanupOptions, CleanupResult } from "./core/cleanup.js";
export type { TokenTransfer } from "./core/header-transport.js";
export type { SessionRequest, SessionResponse, NodeResponseLike } from "./core/http.js";
export type { NodeMiddleware } from "./core/handler.js";
export type { PublicJwk } from "./core/keys.js";
export type { SameSite } from "./core/cookies.js";
export type { RandomBytes } from "./core/encoding.js";
export type {
  CleanupBatchInput,
  CleanupBatchResult,
  JsonObject,
  KeyRecord,
  ListenHandlers,
  NewSessionRecord,
  RevocationEntry,
  RevokedSession,
  RevokeInput,
  RotateRefreshInput,
  RotateRefreshResult,
  SessionCap,
  SessionRecord,
  SessionStore,
} from "./core/store.js";
