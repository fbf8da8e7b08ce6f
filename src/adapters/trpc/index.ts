// sessionkit/trpc: sessions for tRPC v11 servers. `createSessionContext` as createContext,
// `requireSession()` for protected procedures, `sessionErrorFormatter` for the client-visible code.

export { createSessionContext } from "./context.js";
export type { AntiCsrfPolicy, SessionContext, SessionContextInput, SessionContextOptions } from "./context.js";
export { requireSession } from "./middleware.js";
export type { RequireSessionMiddleware, RequireSessionOptions } from "./middleware.js";
export { sessionErrorFormatter, sessionResponseMeta } from "./errors.js";
export type { SessionErrorData } from "./errors.js";
