// The routes sessionkit answers itself (refresh, sign-out, JWKS, CORS preflights), as a fetch
// handler and as a Node (req, res, next) middleware.

import type { CorsPolicy } from "./cors.js";
import { duplicateCookiesAnswer } from "./duplicate-cookies.js";
import type { Engine } from "./engine.js";
import { isSessionError, wireBody } from "./errors.js";
import { HeaderList } from "./header-list.js";
import { type NodeResponseLike, type SessionRequest, requestMethod, requestPath } from "./http.js";
import { refreshSession } from "./lifecycle.js";
import { Session } from "./session.js";

/**
 * A route's answer before it becomes a fetch `Response`: the Node middleware writes it to the
 * `ServerResponse` directly, without the Response and its body stream (a refresh spent ~70 µs of
 * server CPU building one and reading it back), and its headers from a `HeaderList` instead of a
 * fetch `Headers`. A CORS preflight comes as a Response already.
 */
type AnswerHeaders = Headers | HeaderList;
type Answer<H extends AnswerHeaders = AnswerHeaders> = Response | { readonly status: number; readonly headers: H; readonly body: string };

function json<H extends AnswerHeaders>(status: number, body: unknown, headers: H): Answer<H> {
  headers.set("content-type", "application/json; charset=utf-8");
  headers.set("cache-control", "no-store");
  return { status, headers, body: JSON.stringify(body) };
}

function errorResponse<H extends AnswerHeaders>(error: unknown, headers: H, engine: Engine, route: string): Answer<H> {
  const { diagnostics } = engine;
  const duplicates = duplicateCookiesAnswer(error);
  if (duplicates) {
    diagnostics.warn(duplicates.message);
    return json(duplicates.status, { message: duplicates.message }, headers);
  }
  if (isSessionError(error)) {
    if (error.code === "GENERAL_ERROR") diagnostics.warn(error.message, error.cause);
    else diagnostics.refused(error, `at ${route}`);
    // No route of sessionkit runs claim validators (nor do supertokens-node's refresh and
    // sign-out), but a failed claim check would answer supertokens-node's bytes, which the SDK reads.
    return json(error.status, wireBody(error), headers);
  }
  diagnostics.warn("unexpected error in a session route", error);
  return json(500, { message: "internal error" }, headers);
}

/**
 * The discovery document: `issuer` and `jwks_uri` as supertokens-node's openid recipe builds them
 * (apiDomain + apiBasePath, and that + `/jwt/jwks.json`). The OAuth2 endpoints it also lists are
 * left out: sessionkit serves none of them.
 */
function openidConfiguration(engine: Engine): Record<string, unknown> {
  const issuer = engine.options.issuer as string;
  return {
    issuer,
    jwks_uri: `${issuer.replace(/\/+$/, "")}/jwt/jwks.json`,
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [engine.options.algorithm],
  };
}

/** Answers sessionkit's own routes; undefined for every other request. */
export async function handleRequest(engine: Engine, cors: CorsPolicy | undefined, request: SessionRequest): Promise<Response | undefined> {
  const answer = await answerRequest(engine, cors, request, (corsHeaders) => corsHeaders ?? new Headers());
  if (answer === undefined || answer instanceof Response) return answer;
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** `headersOf` makes the answer's headers from the CORS policy's (undefined without CORS). */
async function answerRequest<H extends AnswerHeaders>(
  engine: Engine,
  cors: CorsPolicy | undefined,
  request: SessionRequest,
  headersOf: (corsHeaders: Headers | undefined) => H,
): Promise<Answer<H> | undefined> {
  const method = requestMethod(request);
  const preflight = cors?.preflight(request, method);
  if (preflight) return preflight;

  const path = requestPath(request);
  const base = engine.options.basePath;
  const route =
    path === `${base}/session/refresh`
      ? "refresh"
      : path === `${base}/signout`
        ? "signout"
        : path === `${base}/jwt/jwks.json`
          ? "jwks"
          : path === `${base}/.well-known/openid-configuration` && engine.options.issuer !== undefined
            ? "openid"
            : undefined;
  if (!route) return undefined;

  const headers = headersOf(cors?.headersFor(request));
  const expected = route === "jwks" || route === "openid" ? "GET" : "POST";
  if (method !== expected) {
    headers.set("allow", expected);
    return json(405, { message: `use ${expected}` }, headers);
  }
  try {
    if (route === "refresh") {
      await refreshSession(engine, request, headers);
      return json(200, {}, headers);
    }
    if (route === "signout") {
      const verified = await engine.verifyRequest(request, headers);
      if (verified) await new Session(engine, verified.claims, verified.writer).revokeSession();
      return json(200, { status: "OK" }, headers);
    }
    // Public documents for other backends, as supertokens-node serves them (Access-Control-Allow-Origin: *).
    if (!headers.has("access-control-allow-origin")) headers.set("access-control-allow-origin", "*");
    headers.set("cache-control", "public, max-age=60");
    headers.set("content-type", "application/json; charset=utf-8");
    const body = route === "jwks" ? await engine.keys.jwks() : openidConfiguration(engine);
    return { status: 200, headers, body: JSON.stringify(body) };
  } catch (error) {
    return errorResponse(error, headers, engine, `${method} ${path}`);
  }
}

/** A Node `(req, res, next)` middleware: sessionkit's routes answered, CORS headers applied to the rest. */
export type NodeMiddleware = (
  req: SessionRequest,
  res: NodeResponseLike & { statusCode: number; end(body?: string): unknown },
  next?: (error?: unknown) => void,
) => Promise<boolean>;

export function nodeMiddleware(engine: Engine, cors: () => CorsPolicy | undefined): NodeMiddleware {
  return async (req, res, next) => {
    let response: Answer<HeaderList> | undefined;
    try {
      response = await answerRequest(engine, cors(), req, HeaderList.of);
    } catch (error) {
      if (next) next(error);
      else throw error;
      return true;
    }
    if (!response) {
      cors()
        ?.headersFor(req)
        .forEach((value, name) => res.setHeader(name, value));
      next?.();
      return false;
    }
    res.statusCode = response.status;
    if (response instanceof Response) {
      HeaderList.of(response.headers).writeTo(res);
      res.end(await response.text());
    } else {
      response.headers.writeTo(res);
      res.end(response.body);
    }
    return true;
  };
}
