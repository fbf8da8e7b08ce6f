// The hostile-input properties: for any request built from a recipe, the answer is the route's
// normal answer or a 401 with the code SESSION-MODEL.md gives, never a 500, never a forged
// acceptance, never a revoked victim. Shared by test/security/hostile-input.test.ts (few cases)
// and scripts/fuzz.ts (10,000+ cases).

import fc from "fast-check";
import { type RequestRecipe, renderHeaders, requestRecipe } from "./arbitraries.js";
import { rawHttp } from "./node-app.js";
import {
  type CookiePolicy,
  DEFAULT_POLICY,
  clearsSession,
  bearerCandidates,
  clearsHeaderSession,
  cookieCandidates,
  cookieProblems,
  jsonBody,
  sameJwt,
  touchesSession,
} from "./oracle.js";
import { type Genuine, type Target, rawRequest } from "./target.js";

export interface HostileProperty {
  name: string;
  property: fc.IAsyncProperty<[unknown]>;
}

/** Where a hostile request is delivered: the fetch app or node:http over raw TCP. */
export type Deliver = (request: { method: string; path: string; headers: [string, string][] }) => Promise<Response>;

export function viaFetch(target: Target): Deliver {
  return (r) => target.app(rawRequest(r.path, { method: r.method, headers: r.headers }));
}

export function viaNode(port: number): Deliver {
  return (r) => rawHttp(port, r);
}

class Broken extends Error {
  override name = "Broken";
}

function expect(ok: boolean, message: string): void {
  if (!ok) throw new Broken(message);
}

/**
 * The Cookie value of `name` as the server reads it: "" when absent or empty (WIRE.md: empty
 * counts as none), `DUPLICATED` when two or more non-empty ones came (cookie tossing: never served).
 */
function firstCookie(header: string | undefined, name: string): string {
  const values = cookieValues(header, name).filter((v) => v !== "");
  return values.length > 1 ? DUPLICATED : (values[0] ?? "");
}

const DUPLICATED = "\u0000duplicated";

function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  if (!header || header.length > 64 * 1024) return values;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = value.includes("%") ? decodeURIComponent(value) : value;
    } catch {
      // kept raw, as the server does
    }
    values.push(value);
  }
  return values;
}

function cookieHeader(headers: [string, string][]): string | undefined {
  const values = headers.filter(([n]) => n === "cookie").map(([, v]) => v);
  return values.length === 0 ? undefined : values.join("; ");
}

/** Common to every answer: never a 500, JSON body, Set-Cookie lines that keep their promises. */
async function basics(target: Target, response: Response, policy: CookiePolicy): Promise<Record<string, unknown>> {
  const text = await response.clone().text();
  // Duplicate auth cookies at refresh: supertokens-node's 500 (the SDKs expect it), nothing else.
  expect(response.status !== 500 || text.includes("The request contains multiple session cookies."), `answered 500: ${text}`);
  const problems = cookieProblems(response.headers.getSetCookie(), policy, target.clock.now);
  expect(problems.length === 0, `Set-Cookie problems: ${problems.join(" | ")}`);
  const body = await jsonBody(response);
  expect(body !== undefined, `body is not JSON (status ${response.status})`);
  return body as Record<string, unknown>;
}

async function alive(target: Target, handle: string): Promise<boolean> {
  return (await target.sessions.getSessionInformation(handle)) !== undefined;
}

/** Checks the answer of one ordinary (app) route against the request that produced it. */
async function checkOrdinary(
  target: Target,
  genuine: Genuine,
  path: string,
  headers: [string, string][],
  response: Response,
  policy: CookiePolicy,
) {
  const body = await basics(target, response, policy);
  const cookie = cookieHeader(headers);
  const sent = firstCookie(cookie, "sAccessToken");
  // Header mode: an `Authorization: Bearer` access token wins over the cookies (supertokens-node).
  const bearer = bearerCandidates(headers);
  const bearerGenuine = bearer.some((c) => sameJwt(c, genuine.accessToken));
  expect(response.status !== 500, "an ordinary route answered 500");
  if (response.status === 200) {
    expect(sent !== DUPLICATED || bearerGenuine, "a request with two access-token cookies was served");
    if (path === "/optional" && body.userId === null) {
      expect(sent === "", "a request with an access token was treated as anonymous");
      return;
    }
    // /data answers with the session's data, the others with its user.
    if (path !== "/data") expect(body.userId === genuine.userId, `accepted as ${String(body.userId)}, expected ${genuine.userId}`);
    expect(
      [...cookieCandidates(cookie, "sAccessToken"), ...bearer].some((c) => sameJwt(c, genuine.accessToken)),
      "a request without the genuine access token was accepted (forgery)",
    );
    return;
  }
  expect(response.status === 401, `unexpected status ${response.status}`);
  expect(!touchesSession(response), "a failed verification changed cookies or session headers");
  if (bearer.length > 0) {
    expect(
      body.code === "UNAUTHORISED" || body.code === "TRY_REFRESH_TOKEN",
      `a refused Bearer request should be UNAUTHORISED or TRY_REFRESH_TOKEN, got ${String(body.code)}`,
    );
  } else if (sent === "") expect(body.code === "UNAUTHORISED", `no access token should be UNAUTHORISED, got ${String(body.code)}`);
  else expect(body.code === "TRY_REFRESH_TOKEN", `an unusable access token should be TRY_REFRESH_TOKEN, got ${String(body.code)}`);
}

async function checkRefresh(target: Target, genuine: Genuine, headers: [string, string][], response: Response, policy: CookiePolicy) {
  const body = await basics(target, response, policy);
  const cookie = cookieHeader(headers);
  const bearer = bearerCandidates(headers);
  const duplicated = firstCookie(cookie, "sRefreshToken") === DUPLICATED || firstCookie(cookie, "sAccessToken") === DUPLICATED;
  // A Bearer refresh token is read before the cookies (header mode), so duplicates may not matter then.
  if (duplicated && (bearer.length === 0 || response.status === 500)) {
    expect(response.status === 500, `duplicate auth cookies at refresh must be 500, got ${response.status}`);
    expect(response.headers.getSetCookie().length === 0 && !touchesSession(response), "duplicate cookies changed cookies");
    expect(await alive(target, genuine.handle), "duplicate cookies revoked the session");
    return;
  }
  expect(response.status !== 500, "answered 500 without duplicate cookies");
  if (response.status === 200) {
    expect(
      [...cookieCandidates(cookieHeader(headers), "sRefreshToken"), ...bearer].includes(genuine.refreshToken),
      "a refresh without the genuine refresh token succeeded",
    );
    expect(response.headers.get("front-token") !== null, "a 200 refresh must carry front-token");
    expect(await alive(target, genuine.handle), "the session vanished after a successful refresh");
    return;
  }
  expect(response.status === 401, `unexpected status ${response.status}`);
  expect(body.message === "unauthorised", `a bad refresh must be "unauthorised", got ${JSON.stringify(body)}`);
  expect(
    clearsSession(response) || (bearer.length > 0 && clearsHeaderSession(response)),
    "a refused refresh must clear the session on the client",
  );
  expect(await alive(target, genuine.handle), "a hostile refresh revoked the victim's session");
}

async function checkSignout(target: Target, genuine: Genuine, headers: [string, string][], response: Response, policy: CookiePolicy) {
  const body = await basics(target, response, policy);
  if (response.status === 200) {
    expect(body.status === "OK", "sign-out 200 must be {status: OK}");
    expect(
      [...cookieCandidates(cookieHeader(headers), "sAccessToken"), ...bearerCandidates(headers)].some((c) =>
        sameJwt(c, genuine.accessToken),
      ),
      "a sign-out without the genuine access token succeeded",
    );
    expect(
      clearsSession(response) || (bearerCandidates(headers).length > 0 && clearsHeaderSession(response)),
      "sign-out must clear the session",
    );
    expect(!(await alive(target, genuine.handle)), "sign-out left the session alive");
    return;
  }
  expect(response.status === 401, `unexpected status ${response.status}`);
  expect(body.message === "unauthorised" || body.message === "try refresh token", `odd 401 body ${JSON.stringify(body)}`);
  expect(!touchesSession(response), "a refused sign-out changed cookies");
  expect(await alive(target, genuine.handle), "a refused sign-out revoked the session");
}

async function checkOwnRoute(target: Target, method: string, path: string, response: Response, policy: CookiePolicy) {
  const body = await basics(target, response, policy);
  if (path === "/auth/jwt/jwks.json" && method === "GET") {
    expect(response.status === 200 && Array.isArray(body.keys), "JWKS must answer 200 with keys");
    return;
  }
  expect(response.status === 405 || response.status === 404, `unexpected status ${response.status} for ${method} ${path}`);
}

const ORDINARY = ["/me", "/optional", "/data"] as const;
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;

function describe(recipe: unknown, headers: [string, string][]): string {
  return `${JSON.stringify(headers).slice(0, 600)}\nrecipe: ${JSON.stringify(recipe).slice(0, 1000)}`;
}

/** Node's own answer to headers over its 16 KB limit: the request never reaches sessionkit. */
function nodeRefusedOversize(name: string, headers: [string, string][], response: Response): boolean {
  const size = headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  return name.startsWith("node") && response.status === 431 && size > 16 * 1024 - 200;
}

async function runCase(
  name: string,
  recipe: unknown,
  headers: [string, string][],
  response: Response,
  check: () => Promise<void>,
): Promise<void> {
  try {
    if (nodeRefusedOversize(name, headers, response)) return;
    await check();
  } catch (error) {
    if (error instanceof Broken) throw new Error(`${name}: ${error.message}\nheaders: ${describe(recipe, headers)}`);
    throw error;
  }
}

/**
 * The properties over one target. `deliver` picks fetch or node:http; `policy` is the
 * deployment's cookie policy. Sessions are fresh per case where a case can change them.
 */
export function hostileProperties(
  target: Target,
  deliver: Deliver,
  label: string,
  policy: CookiePolicy = DEFAULT_POLICY,
): HostileProperty[] {
  let shared: Promise<Genuine> | undefined;
  const sharedSession = () => (shared ??= target.login({ role: "member" }));
  const fresh = () => target.login({ role: "member" });
  const isNode = label.includes("node");

  const ordinary = fc.asyncProperty(
    fc.record({
      path: fc.constantFrom(...ORDINARY.filter((p) => !isNode || p !== "/data")),
      method: fc.constantFrom(...METHODS),
      recipe: requestRecipe,
    }),
    async ({ path, method, recipe }) => {
      const genuine = await sharedSession();
      const headers = renderHeaders(recipe as RequestRecipe, genuine);
      const response = await deliver({ method, path, headers });
      await runCase(`${label} ${method} ${path}`, recipe, headers, response, () =>
        checkOrdinary(target, genuine, path, headers, response, policy),
      );
    },
  );

  const refresh = fc.asyncProperty(fc.record({ recipe: requestRecipe }), async ({ recipe }) => {
    const genuine = await fresh();
    const headers = renderHeaders(recipe as RequestRecipe, genuine);
    const response = await deliver({ method: "POST", path: "/auth/session/refresh", headers });
    await runCase(`${label} refresh`, recipe, headers, response, () => checkRefresh(target, genuine, headers, response, policy));
  });

  const signout = fc.asyncProperty(fc.record({ recipe: requestRecipe }), async ({ recipe }) => {
    const genuine = await fresh();
    const headers = renderHeaders(recipe as RequestRecipe, genuine);
    const response = await deliver({ method: "POST", path: "/auth/signout", headers });
    await runCase(`${label} sign-out`, recipe, headers, response, () => checkSignout(target, genuine, headers, response, policy));
  });

  const own = fc.asyncProperty(
    fc.record({
      path: fc.constantFrom("/auth/jwt/jwks.json", "/auth/session/refresh", "/auth/signout", "/nowhere"),
      method: fc.constantFrom(...METHODS),
      recipe: requestRecipe,
    }),
    async ({ path, method, recipe }) => {
      // Only wrong methods here: the right ones are the refresh and sign-out properties.
      if ((path === "/auth/session/refresh" || path === "/auth/signout") && method === "POST") return;
      const genuine = await sharedSession();
      const headers = renderHeaders(recipe as RequestRecipe, genuine);
      const response = await deliver({ method, path, headers });
      await runCase(`${label} ${method} ${path}`, recipe, headers, response, () => checkOwnRoute(target, method, path, response, policy));
    },
  );

  return [
    { name: `${label}: protected routes`, property: ordinary as fc.IAsyncProperty<[unknown]> },
    { name: `${label}: POST /auth/session/refresh`, property: refresh as fc.IAsyncProperty<[unknown]> },
    { name: `${label}: POST /auth/signout`, property: signout as fc.IAsyncProperty<[unknown]> },
    { name: `${label}: own routes, other methods`, property: own as fc.IAsyncProperty<[unknown]> },
  ];
}
