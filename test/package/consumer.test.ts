// The packed package in fresh projects, as users install it: `npm pack` (with its build), then a
// tRPC-only and a GraphQL-only project under os.tmpdir() that install the tarball and only the
// public packages of their framework, compile against the packed types and serve over real
// HTTP on Postgres (DATABASE_URL) or PGlite: sign-in, a protected call, refresh, sign-out.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_URL } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { type Project, consumerProject } from "./projects.js";

const run = promisify(execFile);
const SETUP_TIMEOUT = 240_000;

/** A fresh Postgres schema per server (dropped afterwards), or nothing on PGlite. */
async function databaseEnv(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (!DATABASE_URL) return { env: {}, drop: async () => {} };
  const schema = `sk_consumer_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE SCHEMA ${schema}`);
  return {
    env: { DATABASE_URL, CONSUMER_SCHEMA: schema },
    async drop() {
      await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end({ timeout: 1 });
    },
  };
}

interface Served {
  url: string;
  jar: CookieJar;
  /** A request with the jar's cookies, storing what comes back. */
  send(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

async function serve(project: Project): Promise<Served> {
  const database = await databaseEnv();
  const server = await project.startServer({ ...database.env, NODE_ENV: "production" }).catch(async (error) => {
    await database.drop();
    throw error;
  });
  const jar = new CookieJar();
  return {
    url: server.url,
    jar,
    send: (path, init) => jar.fetch(new URL(path, server.url), init),
    async close() {
      await server.stop();
      await database.drop();
    },
  };
}

let trpcProject: Project;
let graphqlProject: Project;

beforeAll(async () => {
  [trpcProject, graphqlProject] = await Promise.all([consumerProject("trpc"), consumerProject("graphql")]);
}, SETUP_TIMEOUT);
afterAll(async () => {
  await Promise.all([trpcProject?.dispose(), graphqlProject?.dispose()]);
});

describe("the installed package", () => {
  it("installs no GraphQL package for a tRPC user and no tRPC package for a GraphQL user", () => {
    for (const name of ["sessionkit", "jose", "@trpc/server", "@trpc/client", "drizzle-orm"])
      expect(trpcProject.has(name), name).toBe(true);
    for (const name of ["graphql", "graphql-yoga", "@graphql-tools/utils", "@envelop/core"])
      expect(trpcProject.has(name), name).toBe(false);
    for (const name of ["sessionkit", "graphql", "graphql-yoga", "drizzle-orm"]) expect(graphqlProject.has(name), name).toBe(true);
    expect(graphqlProject.has("@trpc/server"), "@trpc/server").toBe(false);
    expect(graphqlProject.has("@trpc/client"), "@trpc/client").toBe(false);
  });

  it("stands on its own: repository, homepage and bugs set, and the README's links absolute", () => {
    const dir = join(trpcProject.dir, "node_modules", "sessionkit");
    const installed = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(installed.repository.url).toMatch(/^git\+https:\/\/github\.com\//);
    expect(installed.homepage).toMatch(/^https:\/\/github\.com\/.+#readme$/);
    expect(installed.bugs.url).toMatch(/^https:\/\/github\.com\/.+\/issues$/);
    const readme = readFileSync(join(dir, "README.md"), "utf8").replace(/```[\s\S]*?```/g, "");
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? "");
    expect(links.length).toBeGreaterThan(5);
    // docs/ is not in the tarball: a relative link would be dead on the npm page and in node_modules.
    expect(links.filter((link) => !/^https:\/\//.test(link) && !link.startsWith("#"))).toEqual([]);
  });

  it("opens only its documented entry points", async () => {
    const probe = `
      const out = {};
      for (const name of ["sessionkit", "sessionkit/drizzle", "sessionkit/trpc", "sessionkit/trpc/client", "sessionkit/graphql", "sessionkit/dist/core/engine.js", "sessionkit/src/index.ts"]) {
        try { out[name] = Object.keys(await import(name)).sort(); } catch (e) { out[name] = e.code; }
      }
      console.log(JSON.stringify(out));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe], { cwd: trpcProject.dir });
    const opened = JSON.parse(stdout) as Record<string, string[] | string>;
    expect(opened.sessionkit).toEqual(["Session", "SessionError", "claim", "createSessions", "freshSession", "isSessionError"]);
    expect(opened["sessionkit/drizzle"]).toContain("drizzleStore");
    expect(opened["sessionkit/trpc"]).toContain("requireSession");
    expect(opened["sessionkit/trpc/client"]).toEqual(["sessionRefreshLink"]);
    // The GraphQL entry needs its peers, which a tRPC-only project does not have.
    expect(opened["sessionkit/graphql"]).toBe("ERR_MODULE_NOT_FOUND");
    expect(opened["sessionkit/dist/core/engine.js"]).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    expect(opened["sessionkit/src/index.ts"]).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
});

describe("a tRPC-only project", () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(trpcProject);
  }, SETUP_TIMEOUT);
  afterAll(() => served?.close());

  const call = (path: string, body?: unknown) =>
    served.send(
      `/trpc/${path}`,
      body === undefined
        ? {}
        : { method: "POST", headers: { rid: "anti-csrf", "content-type": "application/json" }, body: JSON.stringify(body) },
    );

  it("signs in, answers a protected call, refreshes and signs out over HTTP", async () => {
    const anonymous = await call("me");
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { data: { sessionCode: string } } }).error.data.sessionCode).toBe("UNAUTHORISED");

    const signIn = await call("signIn", { name: "ada", password: "ada-password" });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get("front-token")).toBeTruthy();
    expect(served.jar.get("sAccessToken")).toBeTruthy();
    const firstRefreshToken = served.jar.get("sRefreshToken");
    expect(firstRefreshToken).toBeTruthy();

    const me = await call("me");
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ result: { data: { userId: "user-ada", payload: { name: "ada" } } } });

    const refresh = await served.send("/auth/session/refresh", { method: "POST", headers: { rid: "session" } });
    expect(refresh.status).toBe(200);
    expect(refresh.headers.get("front-token")).toBeTruthy();
    expect(served.jar.get("sRefreshToken")).not.toBe(firstRefreshToken);
    expect((await call("me")).status).toBe(200);

    const revoked = served.jar.get("sAccessToken") ?? "";
    expect((await call("signOut", null)).status).toBe(200);
    expect(served.jar.get("sAccessToken")).toBeUndefined();
    // revocation "notify": the signed-out access token stops working at once.
    served.jar.set("sAccessToken", revoked);
    expect((await call("me")).status).toBe(401);
  });

  it("works with the tRPC client and sessionRefreshLink from the package", async () => {
    const seen = await trpcProject.runScript("trpc-client", [served.url]);
    expect(seen).toEqual({
      before: "hello stranger",
      signIn: { handle: expect.any(String) },
      me: { userId: "user-grace", payload: { name: "grace" } },
      visits: [{ visits: 1 }, { visits: 2 }],
      afterBadToken: { userId: "user-grace", payload: { name: "grace" } },
      refreshes: 1,
      afterSignOut: expect.objectContaining({ httpStatus: 401, sessionCode: "UNAUTHORISED" }),
    });
  });
});

describe("a GraphQL-only project", () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(graphqlProject);
  }, SETUP_TIMEOUT);
  afterAll(() => served?.close());

  const gql = async (query: string) => {
    const response = await served.send("/graphql", {
      method: "POST",
      headers: { rid: "anti-csrf", "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, response, body: (await response.json()) as { data?: unknown; errors?: { extensions?: unknown }[] } };
  };

  it("signs in, answers an @auth field, refreshes and signs out over HTTP", async () => {
    const anonymous = await gql("{ hello me }");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", sessionCode: "UNAUTHORISED" });
    expect((await gql("{ hello }")).body.data).toEqual({ hello: "hello" });

    const wrong = await gql('mutation { signIn(name: "ada", password: "nope") }');
    expect(wrong.status).toBe(200);
    expect(served.jar.get("sAccessToken")).toBeUndefined();

    const signIn = await gql('mutation { signIn(name: "ada", password: "ada-password") }');
    expect(signIn.body.data).toEqual({ signIn: true });
    expect(signIn.response.headers.get("front-token")).toBeTruthy();
    expect((await gql("{ hello me name }")).body.data).toEqual({ hello: "hello again", me: "user-ada", name: "ada" });

    const firstRefreshToken = served.jar.get("sRefreshToken");
    const refresh = await served.send("/auth/session/refresh", { method: "POST", headers: { rid: "session" } });
    expect(refresh.status).toBe(200);
    expect(served.jar.get("sRefreshToken")).not.toBe(firstRefreshToken);
    expect((await gql("{ me }")).body.data).toEqual({ me: "user-ada" });

    served.jar.set("sAccessToken", "not-a-jwt");
    const bad = await gql("{ me }");
    expect(bad.status).toBe(401);
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ sessionCode: "TRY_REFRESH_TOKEN" });
    expect((await served.send("/auth/session/refresh", { method: "POST", headers: { rid: "session" } })).status).toBe(200);

    const out = await gql("mutation { signOut }");
    expect(out.body.data).toEqual({ signOut: true });
    expect(out.response.headers.get("front-token")).toBe("remove");
    expect((await gql("{ me }")).status).toBe(401);
  });
});
