// sessionkit/graphql: sessions for GraphQL Yoga. `useSessions(sessions)` puts the request's
// session in the context; `authDirective()` gives the `@auth` directive that requires one.

export { useSessions } from "./plugin.js";
export type { UseSessionsOptions } from "./plugin.js";
export { authDirective } from "./directive.js";
export type { AuthDirective, AuthDirectiveOptions } from "./directive.js";
export type { AuthedContext, SessionContext } from "./context.js";
export type { SessionErrorExtensions } from "./errors.js";
