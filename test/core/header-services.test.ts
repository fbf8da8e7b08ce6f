// Another backend ("service", a plain node:http server here) verifying the access tokens a client
// forwards in `Authorization: Bearer …`, with nothing but jose: the issuer and `jwks_uri` from
// sessionkit's `GET /auth/.well-known/openid-configuration`, `createRemoteJWKSet` on
// `GET /auth/jwt/jwks.json`. The code of the service is the one in docs/header-mode.md "Services".

import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, generateKeyPair, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveFetch } from "../../examples/trpc/serve.js";
import { type Sessions, createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { HeaderClient } from "../helpers/header-client.js";

const DAY = 24 * 3600;
const TTL = 60;

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * The service of docs/header-mode.md: discovery once at start, a remote JWKS (cached by jose,
 * refetched on an unknown kid), the issuer pinned. `now` and `cooldownDuration` are the test's:
 * its clock is injected, and its key rotation comes milliseconds after the first JWKS fetch.
 */
async function startService(authBase: string, now: () => number) {
  const discovery = (await (await fetch(`${authBase}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), { cooldownDuration: 0 });
  return listen(async (req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    const match = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? "");
    if (!match) return reply(401, { message: "no bearer token" });
    try {
      const { payload } = await jwtVerify(match[1] as string, jwks, {
        issuer: discovery.issuer,
        algorithms: ["ES256", "RS256", "EdDSA"],
        currentDate: new Date(now()),
      });
      reply(200, { userId: payload.sub, sessionHandle: payload.sessionHandle });
    } catch (error) {
      reply(401, { message: error instanceof errors.JOSEError ? error.code : "invalid token" });
    }
  });
}

let db: TestDb;
const clock = testClock(Date.parse("2026-06-01T23:50:00Z")); // ten minutes before a key slot ends
let sessions: Sessions;
let api: { server: Server; origin: string };
let service: { server: Server; origin: string };
let jwksFetches = 0;

beforeAll(async () => {
  db = await createTestDb();
  let app: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 });
  api = await listen(
    serveFetch((request) => {
      if (new URL(request.url).pathname === "/auth/jwt/jwks.json") jwksFetches++;
      return app(request);
    }),
  );
  sessions = createSessions({
    store: drizzleStore(db.db),
    issuer: `${api.origin}/auth`,
    keyRotationInterval: DAY,
    accessTokenTtl: TTL,
    now: clock.now,
  });
  app = createTestApp(sessions);
  service = await startService(`${api.origin}/auth`, clock.now);
});
afterAll(async () => {
  for (const { server } of [api, service]) if (server) await new Promise((resolve) => server.close(resolve));
  await sessions?.close();
  await db?.close();
});

let users = 0;
async function signIn(): Promise<{ client: HeaderClient; userId: string; handle: string }> {
  const client = new HeaderClient((request) => fetch(request), api.origin);
  const userId = `service-user-${++users}`;
  const res = await client.call("/login", { body: { userId } });
  expect(res.status).toBe(200);
  return { client, userId, ...((await res.json()) as { handle: string }) };
}
const callService = async (authorization?: string) => {
  const res = await fetch(`${service.origin}/orders`, { headers: authorization === undefined ? {} : { authorization } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("a service verifying forwarded access tokens with jose.createRemoteJWKSet", () => {
  it("the discovery document names the issuer and the JWKS; a forwarded token verifies; the JWKS is fetched once", async () => {
    const discovery = await (await fetch(`${api.origin}/auth/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({ issuer: `${api.origin}/auth`, jwks_uri: `${api.origin}/auth/jwt/jwks.json` });
    const { client, userId, handle } = await signIn();
    expect(decodeJwt(client.accessToken as string).iss).toBe(`${api.origin}/auth`);
    const before = jwksFetches;
    for (let i = 0; i < 3; i++) {
      expect(await callService(`Bearer ${client.accessToken}`)).toEqual({ status: 200, body: { userId, sessionHandle: handle } });
    }
    expect(jwksFetches - before).toBeLessThanOrEqual(1);
    const again = jwksFetches;
    await callService(`Bearer ${client.accessToken}`);
    expect(jwksFetches).toBe(again); // cached by jose
  });

  it("refuses expired, forged, tampered, unsigned, wrong-issuer and refresh tokens, and bad Authorization values", async () => {
    const { client } = await signIn();
    const token = client.accessToken as string;
    const { kid } = decodeProtectedHeader(token);
    const [header, payload, signature] = token.split(".") as [string, string, string];

    // Signed by someone else's key under our kid.
    const attacker = await generateKeyPair("ES256");
    const forged = await new SignJWT(decodeJwt(token))
      .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: kid as string })
      .sign(attacker.privateKey);
    expect(await callService(`Bearer ${forged}`)).toEqual({ status: 401, body: { message: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" } });
    // Our signature, another payload (another user).
    const claims = { ...decodeJwt(token), sub: "someone-else" };
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    expect(await callService(`Bearer ${tampered}`)).toEqual({ status: 401, body: { message: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" } });
    // alg "none".
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    expect((await callService(`Bearer ${none}`)).status).toBe(401);
    // A token of this key ring with another issuer (another deployment on the same keys): the pinned issuer refuses it.
    const other = createSessions({
      store: drizzleStore(db.db),
      issuer: "https://other.example.com/auth",
      keyRotationInterval: DAY,
      accessTokenTtl: TTL,
      now: clock.now,
    });
    try {
      const headers = new Headers();
      await other.createNewSession({ userId: "elsewhere" }, headers, new Request("http://x/", { headers: { "st-auth-mode": "header" } }));
      const elsewhere = headers.get("st-access-token") as string;
      expect(decodeProtectedHeader(elsewhere).kid).toBe(kid);
      expect(await callService(`Bearer ${elsewhere}`)).toEqual({ status: 401, body: { message: "ERR_JWT_CLAIM_VALIDATION_FAILED" } });
    } finally {
      await other.close();
    }
    // The refresh token is opaque: not a JWS at all.
    expect(await callService(`Bearer ${client.refreshToken}`)).toEqual({ status: 401, body: { message: "ERR_JWS_INVALID" } });
    for (const bad of [undefined, "", "Bearer", "Bearer ", `Basic ${token}`, `Bearer ${token} ${token}`]) {
      expect((await callService(bad)).status, String(bad)).toBe(401);
    }
    // Still fine: and once its exp is past, refused.
    expect((await callService(`Bearer ${token}`)).status).toBe(200);
    clock.advance((TTL + 1) * 1000);
    expect(await callService(`Bearer ${token}`)).toEqual({ status: 401, body: { message: "ERR_JWT_EXPIRED" } });
    // The client refreshes on sessionkit (refresh token as Bearer) and forwards the new access token.
    expect((await client.refresh()).status).toBe(200);
    expect((await callService(`Bearer ${client.accessToken}`)).status).toBe(200);
  });

  it("picks up a key rotation: a token with a new kid makes jose fetch the JWKS again, old tokens keep verifying", async () => {
    const slotEnd = (Math.floor(clock.now() / 1000 / DAY) + 1) * DAY * 1000;
    clock.set(slotEnd - 30_000);
    const { client: before } = await signIn();
    const oldKid = decodeProtectedHeader(before.accessToken as string).kid;
    expect((await callService(`Bearer ${before.accessToken}`)).status).toBe(200);
    // Past the end of the key slot: the next sign-in signs with a new key.
    clock.set(slotEnd + 1000);
    const { client: after, userId } = await signIn();
    const newKid = decodeProtectedHeader(after.accessToken as string).kid;
    expect(newKid).not.toBe(oldKid);
    const fetches = jwksFetches;
    expect((await callService(`Bearer ${after.accessToken}`)).body).toMatchObject({ userId });
    expect(jwksFetches - fetches).toBe(1);
    // The old key is still published while its tokens can live: the old token still verifies (within its minute).
    expect((await callService(`Bearer ${before.accessToken}`)).status).toBe(200);
    expect(jwksFetches - fetches).toBe(1);
  });
});
