// What a developer sees when something goes wrong: the default `onWarning` line (one prefix, the
// cause's own message, a hint for the commonest causes) and the `debug` log of every refusal
// with its exact reason. Nothing here changes what goes on the wire.

import { type SessionError, isSessionError } from "./errors.js";

const PREFIX = "sessionkit: ";

/** One `sessionkit:` prefix, whether or not the message already has it. */
export function prefixed(message: string): string {
  return message.startsWith(PREFIX) ? message : PREFIX + message;
}

/** The innermost error of a cause chain: the driver's own error behind a SessionError. */
function rootCause(error: unknown): unknown {
  let inner = error;
  for (let depth = 0; depth < 8 && inner instanceof Error && inner.cause !== undefined; depth++) inner = inner.cause;
  return inner;
}

const CROSS_REQUEST_IO = /Cannot perform I\/O on behalf of a different request/;

/** True when a store call failed because workerd refused a connection opened by another request. */
export function isCrossRequestIo(error: unknown): boolean {
  const cause = rootCause(error);
  return CROSS_REQUEST_IO.test(cause instanceof Error ? cause.message : String(cause ?? ""));
}

/** What to do about the commonest causes, by Postgres SQLSTATE or Node's errno code and message. */
function hintFor(cause: unknown): string | undefined {
  const code = String((cause as { code?: unknown } | null)?.code ?? "");
  const message = cause instanceof Error ? cause.message : String(cause ?? "");
  if (code === "42P01" || /relation "sessionkit_\w+" does not exist/.test(message)) {
    return "sessionkit's tables are missing: run `await migrate(db)` (from sessionkit/drizzle) before serving";
  }
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|28P01|28000|3D000)$/.test(code) || /ECONNREFUSED|ENOTFOUND/.test(message)) {
    return "the database is not reachable with these settings: check DATABASE_URL (host, port, user, password, database)";
  }
  if (CROSS_REQUEST_IO.test(message)) {
    return "a database connection opened during one request was used by another, which Cloudflare Workers forbid: create the database client inside the fetch handler, per request, and pass it with sessions.withStore(drizzleStore(db)) (docs/runtimes.md)";
  }
  if (/did not answer within/.test(message)) {
    return "the database is slow or unreachable: check DATABASE_URL and the database's load (storeTimeoutMs sets the limit)";
  }
  return undefined;
}

/**
 * The line the default `onWarning` prints: the message once prefixed, the cause's message (the
 * driver's own text: store failures are stripped of query parameters before they get here),
 * and a hint when the cause is a common one.
 */
export function warningLine(message: string, error?: unknown): string {
  let line = prefixed(message);
  const cause = rootCause(error);
  if (cause !== undefined && cause !== null) {
    const text = cause instanceof Error ? cause.message : String(cause);
    if (text && !line.includes(text)) line += `: ${text}`;
  }
  const hint = hintFor(cause);
  return hint ? `${line} (${hint})` : line;
}

/** The default `onWarning`: one line on the console's warning stream. */
export function defaultWarning(message: string, error?: unknown): void {
  console.warn(warningLine(message, error));
}

/** Whether `DEBUG` (as the `debug` package reads it: comma-separated, `*` wildcards) names sessionkit. */
export function debugFromEnvironment(): boolean {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DEBUG;
  if (!value) return false;
  return value
    .split(/[\s,]+/)
    .filter(Boolean)
    .some(
      (pattern) =>
        !pattern.startsWith("-") &&
        new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test("sessionkit"),
    );
}

/** What a refusal's reason means in practice, for the few that puzzle people most. */
function refusalHint(error: SessionError): string | undefined {
  if (/rid header/.test(error.message)) {
    return "send a `rid` header (any value) on non-GET calls, refresh and sign-in, as the SuperTokens SDK and sessionRefreshLink do";
  }
  if (/no access token/.test(error.message)) {
    return 'no sAccessToken cookie arrived: not signed in, cookies not sent (fetch needs credentials: "include" cross-origin), or a Secure cookie on plain http';
  }
  if (/no refresh token/.test(error.message)) {
    return "the sRefreshToken cookie is sent only to the refresh path; sign in again";
  }
  return undefined;
}

const SINK = Symbol("sessionkit.diagnostics");

/** Per `createSessions` instance: where warnings and debug lines go, and what was said once. */
export class Diagnostics {
  readonly #onWarning: (message: string, error?: unknown) => void;
  readonly #debug: ((line: string) => void) | undefined;
  readonly #reported = new WeakSet<SessionError>();
  readonly #said = new Set<string>();

  constructor(options: { onWarning: (message: string, error?: unknown) => void; debug: ((line: string) => void) | undefined }) {
    this.#onWarning = options.onWarning;
    this.#debug = options.debug;
  }

  /** True when refusals are logged (`debug` option or `DEBUG=sessionkit`). */
  get debugging(): boolean {
    return this.#debug !== undefined;
  }

  /** Reports through `onWarning`, with one prefix. */
  warn(message: string, error?: unknown): void {
    this.#onWarning(prefixed(message), error);
  }

  /** Reports once per `key` for the life of the instance. */
  warnOnce(key: string, message: string, error?: unknown): void {
    if (this.#said.has(key)) return;
    this.#said.add(key);
    this.warn(message, error);
  }

  /** Links an error to this instance, so adapters that only see the error can report it. */
  tag<E extends SessionError>(error: E): E {
    Object.defineProperty(error, SINK, { value: this });
    return error;
  }

  /** Logs a refusal with its exact reason (debug only), once per error however many layers see it. */
  refused(error: SessionError, where?: string): void {
    if (!this.#debug || error.code === "GENERAL_ERROR" || this.#reported.has(error)) return;
    this.#reported.add(error);
    const hint = refusalHint(error);
    this.#debug(
      `${PREFIX}refused${where ? ` ${where}` : ""}: ${error.code} (${error.status}${error.clearedCookies ? ", cookies cleared" : ""}): ${error.message}${hint ? ` (${hint})` : ""}`,
    );
  }
}

/** The diagnostics of the instance that made an error, if sessionkit made it. */
export function diagnosticsOf(error: unknown): Diagnostics | undefined {
  return isSessionError(error) ? (error as unknown as { [SINK]?: Diagnostics })[SINK] : undefined;
}

/** Logs a refusal through the instance that made it (debug only); adapters call it where they answer. */
export function reportRefusal(error: SessionError, where?: string): void {
  diagnosticsOf(error)?.refused(error, where);
}
