// GraphQL over a WebSocket (graphql-ws's `useServer` through Yoga's envelop, as Yoga documents
// it): the context of each operation carries the socket's `extra` (its upgrade request) and the
// `connectionParams`, not a fetch Request. The session is authenticated once per socket (origin
// checked, see src/core/connection.ts) and re-checked before every operation, from memory with
// revocation "notify".

import type { ConnectionAuth } from "../../core/connection.js";
import { type SessionError, isSessionError } from "../../core/errors.js";
import type { SessionRequest } from "../../core/http.js";
import { connectionSession, engineOf, recheckSession } from "../../core/internal.js";
import type { Sessions } from "../../core/sessions.js";
import type { SessionContext } from "./context.js";

/** What identifies a socket in an operation's context, and what it was opened with. */
export interface ConnectionInfo {
  /** graphql-ws's `extra` (one object per socket). */
  key: object;
  request: SessionRequest;
  connectionParams: unknown;
}

/** Per socket: its authentication, shared by every operation on it. */
export interface Connection {
  auth: Promise<ConnectionAuth> | undefined;
}

function hasHeaders(value: unknown): value is SessionRequest {
  return typeof value === "object" && value !== null && typeof (value as { headers?: unknown }).headers === "object";
}

/** The socket behind an operation's context (graphql-ws through Yoga), if it has one. */
export function connectionOf(context: object): ConnectionInfo | undefined {
  const { extra, req, connectionParams } = context as { extra?: unknown; req?: unknown; connectionParams?: unknown };
  if (typeof extra !== "object" || extra === null) return undefined;
  const request = (extra as { request?: unknown }).request ?? req;
  if (!hasHeaders(request)) return undefined;
  return { key: extra, request, connectionParams };
}

/** The session fields of one operation's context on a socket. */
export async function resolveConnection(sessions: Sessions, state: Connection, connection: ConnectionInfo): Promise<SessionContext> {
  state.auth ??= connectionSession(sessions, connection.request, connection.connectionParams);
  let session: ConnectionAuth["session"];
  let sessionError: SessionError | undefined;
  try {
    ({ session, failure: sessionError } = await state.auth);
  } catch (error) {
    // A store outage while the socket opened: fields that need the session fail (500), public
    // ones run, and the next operation tries again.
    state.auth = undefined;
    if (!isSessionError(error)) throw error;
    sessionError = error;
  }
  if (session) {
    try {
      const stale = await recheckSession(sessions, session);
      if (stale) {
        session = undefined;
        sessionError = stale;
      }
    } catch (error) {
      if (!isSessionError(error)) throw error;
      session = undefined;
      sessionError = error;
    }
  }
  sessionError ??= session ? undefined : engineOf(sessions).error("UNAUTHORISED", "no access token in the connection");
  return {
    session,
    sessionError,
    sessions,
    createNewSession: async () => {
      throw new TypeError("sessionkit: createNewSession cannot set cookies over a WebSocket; sign in over HTTP");
    },
  };
}
