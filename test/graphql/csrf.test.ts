// Anti-CSRF through Yoga: mutations are checked, queries (POST or GET) are not, per sessions
// mode (via-custom-header, via-token, none) and per plugin scope ("mutations", "all", false).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { type GraphqlClient, type Harness, errorAt, startHarness } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

let seq = 0;
const uid = () => `csrf-${Date.now().toString(36)}-${++seq}`;
const RENAME = 'mutation { setPayload(json: "{\\"x\\":1}") }';

async function signedIn(h: Harness): Promise<GraphqlClient> {
  const client = h.client();
  const reply = await client.gql("mutation ($u: String!) { signIn(userId: $u) }", { u: uid() });
  expect(reply.status).toBe(200);
  return client;
}

async function payloadOf(client: GraphqlClient): Promise<unknown> {
  return JSON.parse((await client.gql("{ payload }")).body.data?.payload as string);
}

describe("via-custom-header (default), scope mutations (default)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db, { transport: "http", yoga: { batching: true } });
  });
  afterAll(() => h.close());

  it("refuses an @auth mutation without rid: 401 TRY_REFRESH_TOKEN, the resolver never runs", async () => {
    const client = await signedIn(h);
    const reply = await client.gql(RENAME, undefined, { rid: false });
    expect(reply.status).toBe(401);
    expect(errorAt(reply, "setPayload")?.extensions).toEqual({ code: "UNAUTHENTICATED", sessionCode: "TRY_REFRESH_TOKEN" });
    expect(reply.response.headers.getSetCookie()).toEqual([]);
    expect(await payloadOf(client)).toEqual({});
    const ok = await client.gql(RENAME);
    expect(ok.status).toBe(200);
    expect(await payloadOf(client)).toEqual({ x: 1 });
  });

  it("refuses the whole mutation when an @auth root field fails the check: public fields do not run", async () => {
    const client = await signedIn(h);
    const before = h.bumps.count;
    const reply = await client.gql("mutation { bump signOut }", undefined, { rid: false });
    expect(reply.status).toBe(401);
    expect(h.bumps.count).toBe(before);
    expect((await client.gql("{ me }")).status).toBe(200); // the session was not revoked
  });

  it("does not check queries, over POST or GET", async () => {
    const client = await signedIn(h);
    expect((await client.gql("{ me }", undefined, { rid: false })).status).toBe(200);
    expect((await client.gql("{ me }", undefined, { rid: false, get: true })).status).toBe(200);
  });

  it("lets public mutations run without a session check (they get no session)", async () => {
    const client = await signedIn(h);
    const reply = await client.gql("mutation { bump }", undefined, { rid: false });
    expect(reply.status).toBe(200);
    expect(reply.body.errors).toBeUndefined();
  });

  it("refuses to start a session without the custom header (login CSRF from a cross-site form)", async () => {
    const client = await signedIn(h);
    const forged = await client.gql('mutation { signInAndWhoAmI(userId: "planted") }', undefined, { rid: false });
    expect(forged.status).toBe(401);
    expect(forged.body.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", sessionCode: "UNAUTHORISED" });
    const genuine = await client.gql('mutation { signInAndWhoAmI(userId: "fresh") }');
    expect(genuine.status).toBe(200);
    expect(genuine.body.data).toMatchObject({ signInAndWhoAmI: "fresh" });
  });

  it("checks each operation of a batch by its own type", async () => {
    const client = await signedIn(h);
    const response = await client.call("/graphql", { body: [{ query: "{ me }" }, { query: RENAME }], rid: false });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { data: unknown; errors?: { extensions: unknown }[] }[];
    expect(body[0]?.errors).toBeUndefined();
    expect(body[1]?.errors?.[0]?.extensions).toMatchObject({ sessionCode: "TRY_REFRESH_TOKEN" });
  });

  it("refuses mutations over GET (Yoga), whatever the session", async () => {
    const client = await signedIn(h);
    const reply = await client.call(`/graphql?query=${encodeURIComponent(RENAME)}`, { method: "GET" });
    expect(reply.status).toBe(405);
  });
});

describe("via-token", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db, { transport: "fetch", sessions: { antiCsrf: "via-token" } });
  });
  afterAll(() => h.close());

  it("sends anti-csrf with the front-token and wants it echoed on mutations only", async () => {
    const client = await signedIn(h);
    expect(client.antiCsrf).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const token = client.antiCsrf;
    expect((await client.gql(RENAME, undefined, { antiCsrf: false })).status).toBe(401);
    expect((await client.gql(RENAME, undefined, { antiCsrf: false, headers: { "anti-csrf": `${token}x` } })).status).toBe(401);
    expect((await client.gql("{ me }", undefined, { antiCsrf: false })).status).toBe(200);
    const ok = await client.gql(RENAME);
    expect(ok.status).toBe(200);
    // The new access token of updateJWTPayload carries the token again, next to the front-token.
    expect(ok.response.headers.get("anti-csrf")).toBe(token);
    expect(ok.response.headers.get("front-token")).not.toBeNull();
  });
});

describe("antiCsrf none", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db, { transport: "fetch", sessions: { antiCsrf: "none", cookies: { secure: false, sameSite: "strict" } } });
  });
  afterAll(() => h.close());

  it("accepts mutations without rid", async () => {
    const client = await signedIn(h);
    expect((await client.gql(RENAME, undefined, { rid: false })).status).toBe(200);
  });
});

describe("plugin scope", () => {
  let all: Harness;
  let off: Harness;
  beforeAll(async () => {
    all = await startHarness(db, { transport: "fetch", plugin: { antiCsrfCheck: "all" } });
    off = await startHarness(db, { transport: "fetch", plugin: { antiCsrfCheck: false } });
  });
  afterAll(async () => {
    await all.close();
    await off.close();
  });

  it('"all" checks queries too', async () => {
    const client = await signedIn(all);
    const reply = await client.gql("{ hello me }", undefined, { rid: false });
    expect(reply.status).toBe(401);
    expect(errorAt(reply, "me")?.extensions?.sessionCode).toBe("TRY_REFRESH_TOKEN");
    expect((await client.gql("{ me }")).status).toBe(200);
  });

  it("false checks nothing", async () => {
    const client = await signedIn(off);
    expect((await client.gql(RENAME, undefined, { rid: false })).status).toBe(200);
  });

  it("refuses an unknown scope at startup", async () => {
    const { useSessions } = await import("../../src/adapters/graphql/index.js");
    expect(() => useSessions(all.sessions, { antiCsrfCheck: "queries" as never })).toThrow(/antiCsrfCheck/);
  });
});
