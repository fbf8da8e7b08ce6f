// Starting a session (sign-in) and refreshing one: the two places refresh tokens are minted.

import { refuseDuplicateCookies } from "./duplicate-cookies.js";
import { base64url, fromBase64url, timingSafeEqual } from "./encoding.js";
import { deviceOf } from "./devices.js";
import type { Engine, NewSessionInput } from "./engine.js";
import { ResponseWriter, type SessionRequest, type SessionResponse, readHeader } from "./http.js";
import { legacyNextSecret, mintRefreshToken, nextSecret, openRefreshToken } from "./refresh-token.js";
import { Session } from "./session.js";
import { assertJson } from "./session-data.js";
import { type TransferMethod, carriesToken, refreshTokenOf, transferForNewSession } from "./header-transport.js";
import { clientOf } from "./events.js";
import type { OperationNotes } from "./telemetry.js";

/** Options of the core sign-in call that only this package's adapters set. */
export interface SignInOptions {
  /** Run the login-CSRF check on `request` (default true; the adapters pass their own anti-CSRF policy). */
  antiCsrfCheck?: boolean;
}

/**
 * Login CSRF: a cross-site form can post to a sign-in route and plant the attacker's session in
 * the victim's browser. A form cannot send a custom header, so with anti-CSRF on (any mode but
 * "none") starting a session from a request needs the `rid` header the SDK and our clients send.
 */
function checkSignInRequest(engine: Engine, request: SessionRequest, transfer: TransferMethod): void {
  // A header-mode sign-in plants no cookie, and a form cannot send `st-auth-mode`.
  if (transfer === "header") return;
  if (engine.options.antiCsrf !== "none" && readHeader(request, "rid") === undefined) {
    throw engine.error("UNAUTHORISED", "anti-CSRF check failed: starting a session needs the rid header");
  }
}

/**
 * Creates a session row and writes its tokens to the response, in the transfer method the
 * request asks for (`st-auth-mode`, header-transport.ts). One store call once keys are loaded.
 * With the sign-in `request`, the login-CSRF check runs first.
 */
export async function createNewSession(
  engine: Engine,
  input: NewSessionInput,
  response: SessionResponse,
  request?: SessionRequest,
  signIn: SignInOptions = {},
): Promise<Session> {
  engine.assertNewSessionInput(input);
  const transfer = transferForNewSession(request, engine.options.tokenTransfer);
  return engine.telemetry.operation("createNewSession", { "sessionkit.transfer": transfer }, () =>
    startSession(engine, input, response, request, signIn, transfer),
  );
}

async function startSession(
  engine: Engine,
  input: NewSessionInput,
  response: SessionResponse,
  request: SessionRequest | undefined,
  signIn: SignInOptions,
  transfer: TransferMethod,
): Promise<Session> {
  if (request !== undefined && signIn.antiCsrfCheck !== false) checkSignInRequest(engine, request, transfer);
  const sessionData = input.sessionData ?? {};
  assertJson(sessionData);
  const writer = new ResponseWriter(response, transfer);
  writer.assertOpen("create a session");
  const { options } = engine;
  const now = options.now();
  const handle = engine.newHandle();
  const refreshKey = engine.keys.readyRefreshKey ?? (await engine.run(() => engine.keys.refreshKey()));
  const refreshToken = await mintRefreshToken(refreshKey, { handle, generation: 0, secret: options.randomBytes(32) });
  // The idle expiry, never beyond the absolute one.
  const expiresAt = new Date(now + Math.min(options.refreshTokenTtl, options.maxLifetime ?? Number.POSITIVE_INFINITY) * 1000);
  // Claims are fetched at sign-in and kept with the payload (row and token): a refresh reads them back.
  const jwtPayload = await engine.claims.withAll(input.userId, input.jwtPayload ?? {});
  const remember = input.remember !== false;
  const device = deviceOf(request, options.trustProxy);
  // Sign first so a key problem fails before anything is stored.
  const { issued, claims } = await engine.issueAccess(input.userId, handle, jwtPayload, now, transfer, remember);
  const cap =
    options.maxSessionsPerUser === undefined
      ? undefined
      : { maxSessions: options.maxSessionsPerUser, notifyChannel: options.revocation === "notify" ? options.notifyChannel : undefined };
  const evicted = await engine.run(async () =>
    options.store.createSession(
      {
        handle,
        userId: input.userId,
        jwtPayload,
        sessionData,
        refreshHash: refreshToken.stored,
        createdAt: new Date(now),
        expiresAt,
        ...device,
        remember,
      },
      cap,
    ),
  );
  if (engine.events.wants("created")) {
    engine.events.emit("created", { handle, userId: input.userId, at: new Date(now), ...clientOf(request, options.trustProxy) });
  }
  // Sessions ended by the cap are revoked like any other (logged and notified in the same statement);
  // their events carry the evicted session's own device, the one the user sees signed out.
  if (evicted.length > 0)
    engine.revoker.noteRevoked(
      evicted.map((e) => ({ ...e, userId: input.userId })),
      new Date(now),
      "maxSessionsPerUser",
    );
  writer.assertOpen("create a session");
  // A client switching methods at sign-in loses the other method's old tokens (supertokens-node does the same).
  if (request) clearOtherMethod(engine, writer, request, transfer, "access");
  engine.transport.write(writer, issued, { token: refreshToken.token, expiresAt }, remember);
  return new Session(engine, claims, writer);
}

/**
 * Rotates the request's refresh token with one conditional UPDATE … RETURNING. A token rotated
 * away less than `refreshGraceSeconds` ago gets the current token again (two tabs refreshing at
 * once); an older genuine token is theft and ends the session.
 */
export async function refreshSession(engine: Engine, request: SessionRequest, response: SessionResponse): Promise<Session> {
  return engine.telemetry.operation("refresh", {}, (notes) => rotate(engine, request, response, notes));
}

async function rotate(engine: Engine, request: SessionRequest, response: SessionResponse, notes: OperationNotes): Promise<Session> {
  const { options } = engine;
  const found = refreshTokenOf(request, options.tokenTransfer);
  const transfer = found?.method ?? "cookie";
  notes.set("sessionkit.transfer", transfer);
  const writer = new ResponseWriter(response, transfer);
  const fail = (code: "UNAUTHORISED" | "TOKEN_THEFT_DETECTED", message: string) => engine.error(code, message, writer);

  // supertokens-node skips this when only header mode is allowed (no cookies to sort out).
  if (options.tokenTransfer !== "header") refuseDuplicateCookies(options, engine.transport, request, writer);
  if (!found) throw fail("UNAUTHORISED", "no refresh token in the request");
  const { token } = found;
  // A refresh token sent as `Authorization` cannot come from a cross-site form: no anti-CSRF check.
  const csrf = transfer === "cookie" ? options.antiCsrf : "none";
  if (csrf === "via-custom-header" && readHeader(request, "rid") === undefined) {
    throw fail("UNAUTHORISED", "anti-CSRF check failed: the rid header is missing");
  }
  const key = engine.keys.readyRefreshKey ?? (await engine.run(() => engine.keys.refreshKey()));
  const parts = await openRefreshToken(key, token);
  if (!parts) throw fail("UNAUTHORISED", "the refresh token is not valid");
  if (csrf === "via-token") {
    const sent = readHeader(request, "anti-csrf");
    const expected = await engine.antiCsrfTokenFor(parts.handle);
    if (sent === undefined || expected === undefined || !timingSafeEqual(sent, expected)) {
      throw fail("UNAUTHORISED", "anti-CSRF check failed: the anti-csrf header is missing or wrong");
    }
  }

  const device = deviceOf(request, options.trustProxy);
  const nonce = options.randomBytes(32);
  const next = await mintRefreshToken(key, {
    handle: parts.handle,
    generation: parts.generation + 1,
    secret: await nextSecret(key, parts.secret, nonce),
  });
  const presentedHash = parts.stored;
  const nextHash = next.stored;
  const now = options.now();
  const row = await engine.run(() =>
    options.store.rotateRefresh({
      handle: parts.handle,
      presentedHash,
      nextHash,
      nextNonce: base64url(nonce),
      nextGeneration: parts.generation + 1,
      now: new Date(now),
      expiresAt: new Date(now + options.refreshTokenTtl * 1000),
      ip: device.ip,
      maxLifetime: options.maxLifetime,
    }),
  );
  if (!row) {
    // Past maxLifetime the row may still be there (the statement no longer rotates it): end it as
    // a revocation (logged, notified, reported with reason "maxLifetime"), one more round trip on
    // this failure path only. A session that merely idled out or was revoked is not touched.
    if (options.maxLifetime !== undefined) {
      const createdBefore = new Date(now - options.maxLifetime * 1000);
      await engine.revoker.revoke({ handle: parts.handle, createdBefore }, "maxLifetime");
    }
    throw fail("UNAUTHORISED", "the session has expired or was revoked");
  }

  let refreshToken: string | undefined;
  // This call rotated the token (not a second tab in the grace window handed the same new one).
  const rotated = timingSafeEqual(row.refreshHash, nextHash);
  if (rotated) {
    refreshToken = next.token;
    notes.set("sessionkit.refresh.grace", false);
    // Once per rotation: a concurrent refresh in the grace window that gets this same new token
    // (below) is the same refresh seen by a second tab, not another one.
    if (engine.events.wants("refreshed")) {
      engine.events.emit("refreshed", {
        handle: parts.handle,
        userId: row.userId,
        at: new Date(now),
        ...clientOf(request, options.trustProxy),
      });
    }
  } else if (
    row.previousRefreshHash !== null &&
    timingSafeEqual(row.previousRefreshHash, presentedHash) &&
    row.rotatedAt !== null &&
    now - row.rotatedAt.getTime() <= options.refreshGraceSeconds * 1000 &&
    row.refreshNonce !== null
  ) {
    // A concurrent refresh rotated this token a moment ago: hand out the token it created.
    const storedNonce = fromBase64url(row.refreshNonce);
    // A rotation made by 0.1 just before an upgrade used the unkeyed derivation: try it second.
    for (const derive of storedNonce
      ? [() => nextSecret(key, parts.secret, storedNonce), () => legacyNextSecret(parts.secret, storedNonce)]
      : []) {
      const current = await mintRefreshToken(key, { handle: parts.handle, generation: row.refreshGeneration, secret: await derive() });
      if (timingSafeEqual(current.stored, row.refreshHash)) {
        refreshToken = current.token;
        // Another tab's refresh rotated it: this call hands out that token (one rotation, two answers).
        notes.set("sessionkit.refresh.grace", true);
        break;
      }
    }
  }
  if (refreshToken === undefined) {
    await engine.revoker.revoke({ handle: parts.handle }, "theft");
    throw fail("TOKEN_THEFT_DETECTED", "a refresh token was used after it had been rotated; the session is revoked");
  }

  // Stale claims (older than maxAgeSeconds, or cleared by refreshClaimsForUser) are fetched again
  // and kept in the row; current ones cost nothing: this branch runs once per maxAgeSeconds.
  let jwtPayload = row.jwtPayload;
  const refetched = await engine.claims.refreshed(row.userId, jwtPayload);
  if (refetched) {
    jwtPayload = refetched;
    await engine.run(() => options.store.setJWTPayload(parts.handle, refetched, new Date(now)));
    // Once per rotation, like `refreshed`: a tab in the grace window that fetched too is the same refresh.
    if (rotated && engine.events.wants("claimsRefreshed")) {
      engine.events.emit("claimsRefreshed", {
        handle: parts.handle,
        userId: row.userId,
        at: new Date(now),
        ...clientOf(request, options.trustProxy),
      });
    }
  }
  const { issued, claims } = await engine.issueAccess(
    row.userId,
    parts.handle,
    jwtPayload,
    row.createdAt.getTime(),
    transfer,
    row.remember,
  );
  writer.assertOpen("refresh the session");
  clearOtherMethod(engine, writer, request, transfer, "refresh");
  engine.transport.write(writer, issued, { token: refreshToken, expiresAt: row.expiresAt }, row.remember);
  return new Session(engine, claims, writer);
}

/** Clears the tokens the request carries in the method this response does not use (before the new ones are written). */
function clearOtherMethod(
  engine: Engine,
  writer: ResponseWriter,
  request: SessionRequest,
  used: TransferMethod,
  kind: "access" | "refresh",
): void {
  const other: TransferMethod = used === "header" ? "cookie" : "header";
  if (engine.transport.allMethods.includes(other) && carriesToken(request, other, kind)) engine.transport.clear(writer, [other]);
}
