// sessionkit/trpc/client is browser-safe: bundled by esbuild for the browser it pulls in nothing
// from sessionkit's server side (src/core, the tRPC server adapter) and no Node module, and its
// minified and gzipped size stay within a bound. The example's page and its script are served.

import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientBundle } from "../../examples/trpc/page.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { type Served, serveApp } from "./harness.js";

const ENTRY = new URL("../../src/adapters/trpc/client.ts", import.meta.url).pathname;
/** Every file of sessionkit the browser bundle may hold: sessionkit/trpc/client and what it imports. */
const CLIENT_FILES = ["src/adapters/trpc/client-storage.ts", "src/adapters/trpc/client.ts"];
const SERVER_SIDE = /(^|\/)src\/(core|storage|index\.ts)|src\/adapters\/trpc\/(index|context|middleware|errors)\.ts|src\/adapters\/graphql/;
/** Bounds on the minified browser bundle (sessionkit's files and the @trpc code they use), in bytes. */
const MAX_MINIFIED = 5_000;
const MAX_GZIPPED = 2_250;
const NODE_ONLY = /^node:|(^|\/)(adapters\/(node-http|standalone|express|fastify|fetch)|http\.mjs)/;

describe("sessionkit/trpc/client in the browser", () => {
  it("bundles for the browser platform with no server or Node module in it", async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      metafile: true,
      platform: "browser",
      format: "esm",
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => SERVER_SIDE.test(p))).toEqual([]);
    expect(inputs.filter((p) => NODE_ONLY.test(p))).toEqual([]);
    // Our own code imports only @trpc packages: nothing of sessionkit beyond the client's files
    // (client.ts and the token storage it imports).
    const own = inputs.filter((p) => !p.includes("node_modules/")).map((p) => p.replace(/.*\/src\//, "src/"));
    expect(own.sort()).toEqual(CLIENT_FILES);
    expect(result.outputFiles[0]?.text).toContain("session/refresh");
  });

  it("header mode needs no DOM API: the bundle for a React Native-style runtime uses none", async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      minify: true,
      platform: "neutral",
      format: "esm",
      logLevel: "silent",
      external: [],
      mainFields: ["module", "main"],
    });
    const text = result.outputFiles[0]?.text ?? "";
    expect(text).toContain("st-auth-mode");
    expect(text).toContain("st-access-token");
    // localStorage is feature-tested for cookie mode's anti-csrf token; nothing else of the DOM.
    for (const api of ["document.", "window.", "XMLHttpRequest", "navigator."]) expect(text, api).not.toContain(api);
    console.log(`sessionkit/trpc/client bundled with @trpc: ${(text.length / 1024).toFixed(1)} KB minified`);
  });

  // Measured 2026-12-02 (esbuild 0.28, @trpc 11.25): 3,970 B minified, 1,797 B gzipped, of
  // which 3,291 B is sessionkit's own code. The bounds are about 25 % over: a change that grows
  // the client past them says so here, and in docs/trpc.md, which states the size.
  it("stays small: the minified browser bundle and its gzipped size are within their bounds", async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      metafile: true,
      minify: true,
      platform: "browser",
      format: "esm",
      logLevel: "silent",
    });
    const bytes = result.outputFiles[0]?.contents ?? new Uint8Array();
    const gzipped = gzipSync(bytes).length;
    const own = Object.values(result.metafile.outputs)
      .flatMap((output) => Object.entries(output.inputs))
      .filter(([path]) => !path.includes("node_modules/"))
      .reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
    console.log(`sessionkit/trpc/client for the browser: ${bytes.length} B minified, ${gzipped} B gzipped, ${own} B of it sessionkit's`);
    expect(bytes.length).toBeLessThanOrEqual(MAX_MINIFIED);
    expect(gzipped).toBeLessThanOrEqual(MAX_GZIPPED);
  });

  it("builds the example page's script", async () => {
    const script = await clientBundle();
    expect(script).toContain("sessionkit-anti-csrf");
    expect(script).not.toMatch(/from "node:|require\("node:/);
  });
});

describe("the example page", () => {
  let db: TestDb;
  let served: Served;
  beforeAll(async () => {
    db = await createTestDb();
    served = await serveApp("fetch", { db: db.db, sessionsOptions: { cookies: { secure: false } } });
  });
  afterAll(async () => {
    await served.close();
    await db.close();
  });

  it("serves the HTML with stable ids and the bundled script", async () => {
    const page = await fetch(`${served.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await page.text();
    for (const id of [
      "status",
      "error",
      "signup-name",
      "signup-password",
      "signin-name",
      "display-name",
      "rename-input",
      "note-input",
      "notes-list",
      "sessions-list",
      "signout",
      "signout-everywhere",
    ]) {
      expect(html).toContain(`id="${id}"`);
    }
    const script = await fetch(`${served.url}/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect(await script.text()).toContain("createTRPCClient");
    expect((await fetch(`${served.url}/nope`)).status).toBe(404);
  });
});
