// docs/trpc.md shows examples/trpc/minimal.ts verbatim (with the package's import names), and
// that file works: sign-in, a protected call, silent refresh and sign-out through a real client.

import { readFileSync } from "node:fs";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppRouter, createTrpcServer } from "../../examples/trpc/minimal.js";
import { nodeClient } from "../../examples/trpc/node-client.js";
import { sessionRefreshLink } from "../../src/adapters/trpc/client.js";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { CookieJar } from "../helpers/jar.js";
import { RequestLog, jarFetch, memoryStorage } from "./harness.js";

const IMPORTS: [string, string][] = [
  ['"../../src/index.js"', '"sessionkit"'],
  ['"../../src/storage/index.js"', '"sessionkit/drizzle"'],
  ['"../../src/adapters/trpc/index.js"', '"sessionkit/trpc"'],
  ['"../../src/adapters/trpc/client.js"', '"sessionkit/trpc/client"'],
];

function fileBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/<!-- file: (\S+) -->\n```ts\n([\s\S]*?)```/g)) {
    blocks.set(match[1] ?? "", match[2] ?? "");
  }
  return blocks;
}

describe("docs/trpc.md", () => {
  it("shows the files it names exactly as they are", () => {
    const blocks = fileBlocks(readFileSync(new URL("../../docs/trpc.md", import.meta.url), "utf8"));
    expect([...blocks.keys()]).toEqual(["examples/trpc/minimal.ts", "examples/trpc/authz.ts", "examples/trpc/node-client.ts"]);
    for (const [path, shown] of blocks) {
      let source = readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
      for (const [from, to] of IMPORTS) source = source.replaceAll(from, to);
      expect(shown).toBe(source);
    }
  });
});

describe("examples/trpc/minimal.ts", () => {
  let db: TestDb;
  let now = Date.parse("2026-03-01T10:00:00Z");
  let url: string;
  let close: () => Promise<void>;
  const log = new RequestLog();

  beforeAll(async () => {
    db = await createTestDb();
    const sessions = createSessions({ store: drizzleStore(db.db), accessTokenTtl: 60, cookies: { secure: false }, now: () => now });
    const server = createTrpcServer(sessions);
    server.prependListener("request", (req) => log.paths.push(new URL(req.url ?? "/", "http://x").pathname));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    close = () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
  });
  afterAll(async () => {
    await close();
    await db.close();
  });

  it("signs in, answers protected calls, refreshes silently and signs out", async () => {
    const jar = new CookieJar(() => now);
    const session = sessionRefreshLink<AppRouter>({ baseUrl: `${url}/auth`, fetch: jarFetch(jar), tokenStorage: memoryStorage() });
    const trpc = createTRPCClient<AppRouter>({ links: [session, httpBatchLink({ url: `${url}/trpc`, fetch: session.fetch })] });

    expect(await trpc.hello.query()).toBe("Hello, stranger!");
    await expect(trpc.signIn.mutate({ name: "ada", password: "nope" })).rejects.toMatchObject({ data: { httpStatus: 400 } });
    expect(await trpc.signIn.mutate({ name: "ada", password: "correct horse battery" })).toEqual({ userId: "user-ada" });
    expect(await trpc.me.query()).toEqual({ userId: "user-ada", payload: { name: "ada" } });
    await trpc.rename.mutate("Ada Lovelace");
    now += 61_000;
    log.reset();
    const [hello, me] = await Promise.all([trpc.hello.query(), trpc.me.query()]);
    expect(hello).toBe("Hello, stranger!"); // public: ran with the expired token
    expect(me.payload).toEqual({ name: "Ada Lovelace" });
    expect(log.count("/auth/session/refresh")).toBe(1);
    await trpc.signOut.mutate();
    await expect(trpc.me.query()).rejects.toMatchObject({ data: { httpStatus: 401, sessionCode: "UNAUTHORISED" } });
  });

  it("the Node client of docs/trpc.md (examples/trpc/node-client.ts) does the same with its own cookie jar", async () => {
    const trpc = nodeClient(url);
    expect(await trpc.signIn.mutate({ name: "ada", password: "correct horse battery" })).toEqual({ userId: "user-ada" });
    expect(await trpc.me.query()).toEqual({ userId: "user-ada", payload: { name: "ada" } });
    now += 61_000;
    log.reset();
    expect((await trpc.me.query()).userId).toBe("user-ada");
    expect(log.count("/auth/session/refresh")).toBe(1);
    await trpc.signOut.mutate();
    await expect(trpc.me.query()).rejects.toMatchObject({ data: { httpStatus: 401, sessionCode: "UNAUTHORISED" } });
  });
});
