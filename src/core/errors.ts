// The one error type of sessionkit: a closed union of codes, each with its HTTP status.

/** Why a session could not be used. A closed set: adapters map each code in one place. */
export type SessionErrorCode = "UNAUTHORISED" | "TRY_REFRESH_TOKEN" | "TOKEN_THEFT_DETECTED" | "INVALID_CLAIM" | "GENERAL_ERROR";

/** Why one claim validator refused a session: its id (the claim's key, the id given to `check`, `"freshSession"`) and why. */
export interface ClaimValidationError {
  id: string;
  reason: unknown;
}

const brand = Symbol.for("sessionkit.SessionError");

/**
 * The error every session call throws for session reasons.
 * `UNAUTHORISED`, `TRY_REFRESH_TOKEN` and `TOKEN_THEFT_DETECTED` carry the configured
 * expiry status (401 by default); `INVALID_CLAIM` (a valid session that fails a claim validator)
 * is 403 and carries `claimValidationErrors`; `GENERAL_ERROR` (a store or dependency failure) is always 500.
 */
export class SessionError extends Error {
  override readonly name = "SessionError";
  /** What went wrong, from a closed set. */
  readonly code: SessionErrorCode;
  /** The HTTP status this error should produce. */
  readonly status: number;
  /** True when the response already carries cookie-clearing headers for this error. */
  readonly clearedCookies: boolean;
  /** With `INVALID_CLAIM`: every validator that failed (empty otherwise). */
  readonly claimValidationErrors: readonly ClaimValidationError[];

  constructor(
    code: SessionErrorCode,
    message: string,
    options: { status?: number; cause?: unknown; clearedCookies?: boolean; claimValidationErrors?: readonly ClaimValidationError[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? (code === "GENERAL_ERROR" ? 500 : code === "INVALID_CLAIM" ? 403 : 401);
    this.clearedCookies = options.clearedCookies ?? false;
    this.claimValidationErrors = options.claimValidationErrors ?? [];
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

/**
 * The JSON body sessionkit's own routes answer for a session error, as supertokens-node's
 * session recipe does (lib/ts/recipe/session/utils.ts: `sendNon200ResponseWithMessage` for 401s,
 * `sendInvalidClaimResponse` for 403: `{ message: "invalid claim", claimValidationErrors }`).
 */
export function wireBody(error: SessionError): { message: string; claimValidationErrors?: readonly ClaimValidationError[] } {
  return error.code === "INVALID_CLAIM"
    ? { message: wireMessage(error.code), claimValidationErrors: error.claimValidationErrors }
    : { message: wireMessage(error.code) };
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
    case "INVALID_CLAIM":
      return "invalid claim";
    case "GENERAL_ERROR":
      return "session store unavailable";
  }
}
