// Session flows through Yoga: expiry and refresh, payload updates, sign-out, revocation under
// check-database and notify, batching, over node:http and yoga.fetch.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { type GraphqlClient, type Harness, errorAt, startHarness, transports } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

let seq = 0;
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++seq}`;

async function signIn(client: GraphqlClient, userId: string, payload?: Record<string, unknown>) {
  const reply = await client.gql("mutation ($u: String!, $p: String) { signIn(userId: $u, payload: $p) }", {
    u: userId,
    p: payload ? JSON.stringify(payload) : null,
  });
  expect(reply.status).toBe(200);
  return reply.body.data?.signIn as string;
}

describe.each(transports)("session flows over %s", (transport) => {
  let now = Date.parse("2026-03-01T10:00:00Z");
  const clock = () => now;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db, { transport, sessions: { accessTokenTtl: 60, now: clock }, yoga: { batching: true } });
  });
  afterAll(() => h.close());

  it("expired access token: 401 TRY_REFRESH_TOKEN (cookies kept), refresh, then success", async () => {
    const client = h.client(clock);
    const user = uid("exp");
    await signIn(client, user);
    now += 61_000;
    const expired = await client.gql("{ hello me }");
    expect(expired.status).toBe(401);
    expect(errorAt(expired, "me")?.extensions).toEqual({ code: "UNAUTHENTICATED", sessionCode: "TRY_REFRESH_TOKEN" });
    expect(expired.response.headers.getSetCookie()).toEqual([]);
    expect(expired.response.headers.get("front-token")).toBeNull();
    // The SDK's next step: the refresh route, answered by the plugin inside Yoga.
    const refreshed = await client.refresh();
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get("front-token")).not.toBeNull();
    const again = await client.gql("{ hello me }");
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual({ hello: "world", me: user });
  });

  it("a mutation that needs a session it lacks runs none of its root fields (no repeat on retry)", async () => {
    const client = h.client(clock);
    await signIn(client, uid("allornothing"));
    now += 61_000;
    const before = h.bumps.count;
    const mixed = 'mutation { bump renamed: setPayload(json: "{\\"k\\":1}") }';
    const refused = await client.gql(mixed);
    expect(refused.status).toBe(401);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: ["renamed"], extensions: { code: "UNAUTHENTICATED", sessionCode: "TRY_REFRESH_TOKEN" } }),
    ]);
    expect(h.bumps.count).toBe(before);
    // Through a fragment as well.
    const viaFragment = await client.gql("mutation { ...M } fragment M on Mutation { bump ... on Mutation { signOut } }");
    expect(viaFragment.status).toBe(401);
    expect(h.bumps.count).toBe(before);
    // What the SDK does next: refresh and retry; the public field runs exactly once.
    expect((await client.refresh()).status).toBe(200);
    const retried = await client.gql(mixed);
    expect(retried.status).toBe(200);
    expect(retried.body.data).toEqual({ bump: before + 1, renamed: JSON.stringify({ k: 1 }) });
    expect(h.bumps.count).toBe(before + 1);
    // Without any session the same holds, and a purely public mutation still runs.
    const anonymous = h.client(clock);
    expect((await anonymous.gql("mutation { bump signOut }")).status).toBe(401);
    expect(h.bumps.count).toBe(before + 1);
    expect((await anonymous.gql("mutation { bump }")).body.data).toEqual({ bump: before + 2 });
  });

  it("updateJWTPayload: new token and front-token on the mutation's response, visible next operation", async () => {
    const client = h.client(clock);
    await signIn(client, uid("pay"), { role: "user" });
    const before = client.jar.get("sAccessToken");
    const reply = await client.gql('mutation { setPayload(json: "{\\"name\\":\\"Ada\\"}") }');
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ setPayload: JSON.stringify({ role: "user", name: "Ada" }) });
    expect(reply.response.headers.getSetCookie().map((c) => c.split("=")[0])).toEqual(["sAccessToken"]);
    expect(client.jar.get("sAccessToken")).not.toBe(before);
    expect(client.front()?.up).toMatchObject({ role: "user", name: "Ada" });
    const next = await client.gql("{ payload }");
    expect(JSON.parse(next.body.data?.payload as string)).toEqual({ role: "user", name: "Ada" });
  });

  it("sign-out: cookies cleared with front-token remove, then 401", async () => {
    const client = h.client(clock);
    const handle = await signIn(client, uid("out"));
    const reply = await client.gql("mutation { signOut }");
    expect(reply.status).toBe(200);
    const cleared = reply.response.headers.getSetCookie();
    expect(cleared.map((c) => c.split("=")[0]).sort()).toEqual(["sAccessToken", "sRefreshToken"]);
    expect(cleared.every((c) => /=;/.test(c) && /Expires=Thu, 01 Jan 1970/i.test(c))).toBe(true);
    expect(reply.response.headers.get("front-token")).toBe("remove");
    expect(reply.response.headers.get("anti-csrf")).toBeNull();
    expect(await h.sessions.getSessionInformation(handle)).toBeUndefined();
    expect((await client.gql("{ me }")).status).toBe(401);
  });

  it("batching: cookies of every operation leave with the one response; session looked up once", async () => {
    const client = h.client(clock);
    const user = uid("batch");
    await signIn(client, user, { n: 0 });
    const response = await client.call("/graphql", {
      body: [
        { query: "{ me }" },
        { query: 'mutation { setPayload(json: "{\\"n\\":1}") }' },
        { query: 'mutation { setData(json: "{\\"cart\\":[1]}") }' },
        { query: "{ hello }" },
      ],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Record<string, unknown> }[];
    expect(body.map((r) => r.data)).toEqual([
      { me: user },
      { setPayload: JSON.stringify({ n: 1 }) },
      { setData: true },
      { hello: "world" },
    ]);
    expect(response.headers.getSetCookie().map((c) => c.split("=")[0])).toEqual(["sAccessToken"]);
    expect(client.front()?.up).toMatchObject({ n: 1 });
    expect(JSON.parse((await client.gql("{ data }")).body.data?.data as string)).toEqual({ cart: [1] });
  });

  it("batching: a session failure in one operation makes the batch 401, so the SDK refreshes", async () => {
    const client = h.client(clock);
    await signIn(client, uid("batch401"));
    now += 61_000;
    const response = await client.call("/graphql", { body: [{ query: "{ hello }" }, { query: "{ me }" }] });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { data: unknown; errors?: { extensions: unknown }[] }[];
    expect(body[0]).toEqual({ data: { hello: "world" } });
    expect(body[1]?.errors?.[0]?.extensions).toEqual({ code: "UNAUTHENTICATED", sessionCode: "TRY_REFRESH_TOKEN" });
    expect((await client.refresh()).status).toBe(200);
    const retry = await client.call("/graphql", { body: [{ query: "{ hello }" }, { query: "{ me }" }] });
    expect(retry.status).toBe(200);
  });
});

describe.each(["check-database", "notify"] as const)("revocation %s", (revocation) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db, { transport: "http", sessions: { revocation }, yoga: { batching: true } });
  });
  afterAll(() => h.close());

  it("a session revoked elsewhere: 401 UNAUTHORISED with clearing; public fields still answer", async () => {
    const client = h.client();
    const handle = await signIn(client, uid(`rev-${revocation}`));
    expect((await client.gql("{ me }")).status).toBe(200);
    expect(await h.sessions.revokeSession(handle)).toBe(true);
    const reply = await client.gql("{ hello secret { value } }");
    expect(reply.status).toBe(401);
    expect(reply.body.data).toEqual({ hello: "world", secret: null });
    expect(errorAt(reply, "secret.value")?.extensions).toEqual({ code: "UNAUTHENTICATED", sessionCode: "UNAUTHORISED" });
    expect(reply.response.headers.get("front-token")).toBe("remove");
    expect(
      reply.response.headers
        .getSetCookie()
        .map((c) => c.split("=")[0])
        .sort(),
    ).toEqual(["sAccessToken", "sRefreshToken"]);
    expect(client.jar.get("sAccessToken")).toBeUndefined();
  });

  it("a batch finding the session revoked: 401 with the clearing cookies, public operations answered", async () => {
    const client = h.client();
    const handle = await signIn(client, uid(`revbatch-${revocation}`));
    await h.sessions.revokeSession(handle);
    const response = await client.call("/graphql", { body: [{ query: "{ hello }" }, { query: "{ me }" }] });
    expect(response.status).toBe(401);
    expect(
      response.headers
        .getSetCookie()
        .map((c) => c.split("=")[0])
        .sort(),
    ).toEqual(["sAccessToken", "sRefreshToken"]);
    expect(response.headers.get("front-token")).toBe("remove");
    const body = (await response.json()) as { data: unknown }[];
    expect(body[0]).toEqual({ data: { hello: "world" } });
  });

  if (revocation === "check-database") {
    it("looks the session up once per HTTP request, even for a batch", async () => {
      const client = h.client();
      await signIn(client, uid("count"));
      db.queries.reset();
      const response = await client.call("/graphql", { body: [{ query: "{ me }" }, { query: "{ me }" }, { query: "{ payload }" }] });
      expect(response.status).toBe(200);
      expect(db.queries.count).toBe(1);
      db.queries.reset();
      await client.gql("{ me payload secret { value } }");
      expect(db.queries.count).toBe(1);
    });
  }
});
