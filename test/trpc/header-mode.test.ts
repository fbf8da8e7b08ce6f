// A Node client without cookies: sessionRefreshLink({ tokenStore }) (examples/cli) against the
// example tRPC server on the fetch and the Node adapters: sign-in through a mutation, protected
// calls, expiry → one shared refresh, updateJWTPayload, revocation, sign-out; and cookie and
// header clients on one server at once.

import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliClient, fileTokenStore } from "../../examples/cli/client.js";
import type { TokenStore, Tokens } from "../../src/adapters/trpc/client.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { type Served, adapterKinds, createClient, rejection, serveApp, uniqueName } from "./harness.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const PASSWORD = "correct horse battery";

function memoryStore(): TokenStore & { tokens: Tokens | undefined; sets: number } {
  const store = {
    tokens: undefined as Tokens | undefined,
    sets: 0,
    get: async () => store.tokens,
    set: async (tokens: Tokens | undefined) => {
      store.sets++;
      store.tokens = tokens;
    },
  };
  return store;
}

describe.each(adapterKinds)("header mode with sessionRefreshLink({ tokenStore }) on the %s adapter", (kind) => {
  let served: Served;
  let now = Date.parse("2026-03-01T10:00:00Z");
  const clock = () => now;

  beforeAll(async () => {
    served = await serveApp(kind, {
      db: db.db,
      sessionsOptions: { accessTokenTtl: 60, revocation: "check-database", cookies: { secure: false }, now: clock },
    });
  });
  afterAll(() => served.close());

  async function signedUp() {
    const store = memoryStore();
    const trpc = cliClient(served.url, store);
    const name = uniqueName(`h${kind}`);
    await trpc.signUp.mutate({ name, password: PASSWORD, displayName: "Ada" });
    return { store, trpc, name };
  }

  it("sign-in through a mutation stores the tokens; protected calls send them as Authorization", async () => {
    const { store, trpc, name } = await signedUp();
    expect(store.tokens?.accessToken).toMatch(/^ey/);
    expect(store.tokens?.refreshToken).toBeTruthy();
    expect(store.tokens?.frontToken).toBeTruthy();
    expect(store.tokens?.antiCsrf).toBeUndefined();
    expect(decodeJwt(store.tokens?.accessToken as string).name).toBe(name);
    expect((await trpc.me.query()).name).toBe(name);
    expect(await trpc.notes.add.mutate({ text: "header mode" })).toBeTruthy();
  });

  it("expiry: concurrent failing calls share one refresh, then succeed", async () => {
    const { store, trpc, name } = await signedUp();
    const before = { ...store.tokens };
    now += 61_000;
    served.log.reset();
    const [a, b, c] = await Promise.all([trpc.me.query(), trpc.notes.list.query(), trpc.me.query()]);
    expect([a.name, c.name]).toEqual([name, name]);
    expect(Array.isArray(b)).toBe(true);
    expect(served.log.count("/auth/session/refresh")).toBe(1);
    expect(store.tokens?.refreshToken).not.toBe(before.refreshToken);
    expect(store.tokens?.accessToken).not.toBe(before.accessToken);
  });

  it("updateJWTPayload: the new access token from the response header is stored and used", async () => {
    const { store, trpc } = await signedUp();
    const before = store.tokens?.accessToken;
    await trpc.rename.mutate({ displayName: "Grace" });
    expect(store.tokens?.accessToken).not.toBe(before);
    expect(decodeJwt(store.tokens?.accessToken as string).displayName).toBe("Grace");
    expect((await trpc.hello.query()).greeting).toBe("Hello, Grace!");
  });

  it("revocation: UNAUTHORISED clears the store, without a refresh", async () => {
    const { store, trpc } = await signedUp();
    const handle = decodeJwt(store.tokens?.accessToken as string).sessionHandle as string;
    await served.app.sessions.revokeSession(handle);
    served.log.reset();
    const error = await rejection(trpc.me.query());
    expect(error.data?.sessionCode).toBe("UNAUTHORISED");
    expect(store.tokens).toBeUndefined();
    expect(served.log.count("/auth/session/refresh")).toBe(0);
  });

  it("an expired refresh: the refresh fails once, the store is cleared, the call fails", async () => {
    const { store, trpc } = await signedUp();
    const handle = decodeJwt(store.tokens?.accessToken as string).sessionHandle as string;
    now += 61_000;
    await served.app.sessions.revokeSession(handle);
    served.log.reset();
    const error = await rejection(trpc.me.query());
    expect(error.data?.sessionCode).toBe("TRY_REFRESH_TOKEN");
    expect(served.log.count("/auth/session/refresh")).toBe(1);
    expect(store.tokens).toBeUndefined();
  });

  it("sign-out clears the store (empty token headers, front-token: remove)", async () => {
    const { store, trpc } = await signedUp();
    expect(await trpc.signOut.mutate()).toEqual({ ok: true });
    expect(store.tokens).toBeUndefined();
    expect((await rejection(trpc.me.query())).data?.sessionCode).toBe("UNAUTHORISED");
  });

  it("mixed deployment: a cookie client and a header client on one server at once", async () => {
    const header = await signedUp();
    const cookie = createClient(served.url, { now: clock });
    const cookieName = uniqueName(`c${kind}`);
    await cookie.trpc.signUp.mutate({ name: cookieName, password: PASSWORD });
    expect(cookie.jar.get("sAccessToken")).toBeTruthy();
    now += 61_000;
    served.log.reset();
    const [h, c] = await Promise.all([header.trpc.me.query(), cookie.trpc.me.query()]);
    expect([h.name, c.name]).toEqual([header.name, cookieName]);
    expect(served.log.count("/auth/session/refresh")).toBe(2);
    // Each kept its own method.
    expect(cookie.jar.get("sRefreshToken")).toBeTruthy();
    expect(header.store.tokens?.refreshToken).toBeTruthy();
  });

  it("the CLI's file store keeps the tokens between runs, readable by its owner only", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sessionkit-cli-"));
    try {
      const path = join(dir, "tokens.json");
      const name = uniqueName(`f${kind}`);
      await cliClient(served.url, fileTokenStore(path)).signUp.mutate({ name, password: PASSWORD });
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(path, "utf8")).accessToken).toMatch(/^ey/);
      const secondRun = cliClient(served.url, fileTokenStore(path));
      expect((await secondRun.me.query()).name).toBe(name);
      await secondRun.signOut.mutate();
      await expect(stat(path)).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
