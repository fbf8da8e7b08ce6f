// The one error type of sessionkit: a closed union of codes, each with its HTTP status.

/** Why a session could not be used. A closed set: adapters map each code in one place. */
export type SessionErrorCode = "UNAUTHORISED" | "TRY_REFRESH_TOKEN" | "TOKEN_THEFT_DETECTED" | "GENERAL_ERROR";

const brand = Symbol.for("sessionkit.SessionError");

/**
 * The error every session call throws for session reasons.
 * `UNAUTHORISED`, `TRY_REFRESH_TOKEN` and `TOKEN_THEFT_DETECTED` carry the configured
 * expiry status (401 by default); `GENERAL_ERROR` (a store or dependency failure) is always 500.
 */
export class SessionError extends Error {
  override readonly name = "SessionError";
  /** What went wrong, from a closed set. */
  readonly code: SessionErrorCode;
  /** The HTTP status this error should produce. */
  readonly status: number;
  /** True when the response already carries cookie-clearing headers for this error. */
  readonly clearedCookies: boolean;

  constructor(code: SessionErrorCode, message: string, options: { status?: number; cause?: unknown; clearedCookies?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? (code === "GENERAL_ERROR" ? 500 : 401);
    this.clearedCookies = options.clearedCookies ?? false;
    Object.defineProperty(this, brand, { value: true });
  }

  /** Short, secret-free JSON form (the cause is left out on purpose). */
  toJSON(): { name: string; code: SessionErrorCode; status: number; message: string } {
    return { name: this.name, code: this.code, status: this.status, message: this.message };
  }
}

/** Tells sessionkit's errors from anyone else's, even across two copies of the package. */
export function isSessionError(error: unknown): error is SessionError {
  return (
    error instanceof SessionError || (typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[brand] === true)
  );
}

/** The `message` of a 401 body on the wire, per code (WIRE.md). */
export function wireMessage(code: SessionErrorCode): string {
  switch (code) {
    case "TRY_REFRESH_TOKEN":
      return "try refresh token";
    case "TOKEN_THEFT_DETECTED":
      return "token theft detected";
    case "UNAUTHORISED":
      return "unauthorised";
    case "GENERAL_ERROR":
      return "session store unavailable";
  }
}
