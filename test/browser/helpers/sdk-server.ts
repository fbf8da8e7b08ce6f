// A sessionkit server for the SuperTokens SDK pages: tRPC and Yoga on one `sessions` instance,
// served same-origin (page and API on one port) or cross-origin (page and API on two ports,
// CORS), through the fetch handlers (`sessions.handle`) or the Node ones (`sessions.middleware()`).
// The server clock is real time plus an offset that a test-only route moves.

import { readFileSync, readdirSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { build } from "esbuild";
import { createYoga } from "graphql-yoga";
import { serveFetch } from "../../../examples/trpc/serve.js";
import { useSessions } from "../../../src/adapters/graphql/index.js";
import { createSessionContext, sessionResponseMeta } from "../../../src/adapters/trpc/index.js";
import { type AntiCsrfMode, type RevocationMode, type Sessions, type TokenTransfer, createSessions } from "../../../src/index.js";
import { type AnyPgDatabase, drizzleStore } from "../../../src/storage/index.js";
import { sdkRoles, sdkRouter, sdkSchema } from "./sdk-app.js";

const BUNDLES = join(process.cwd(), "node_modules", "supertokens-web-js", "bundle");
/** Grace window of the test servers, in seconds of server time. */
export const GRACE_SECONDS = 10;
export const ACCESS_TOKEN_TTL = 60;

export interface SdkServerOptions {
  db: AnyPgDatabase;
  antiCsrf: AntiCsrfMode;
  crossOrigin: boolean;
  /** `fetch`: `sessions.handle` and the fetch adapters; `node`: `sessions.middleware()` and the Node ones. */
  adapter: "fetch" | "node";
  revocation?: RevocationMode;
  /** The server's `tokenTransfer` (default `"any"`); each page picks its SDK mode with `?mode=`. */
  tokenTransfer?: TokenTransfer;
  /** supertokens-node's `exposeAccessTokenToFrontendInCookieBasedAuth`. */
  exposeAccessToken?: boolean;
}

/** The SDK's `tokenTransferMethod` of a page: `pageUrl` is cookie mode, `${pageUrl}?mode=header` header mode. */
export type SdkMode = "cookie" | "header";

/** A request the API answered. */
export interface Served {
  method: string;
  path: string;
  status: number;
  /** The response body (first 4 kB). */
  body: string;
}

export interface SdkServer {
  /** Where the page is. */
  pageUrl: string;
  /** Origin of the API (the page's own origin when same-origin). */
  apiOrigin: string;
  sessions: Sessions;
  /** Every request the API answered, in order of completion. */
  served: Served[];
  /** Refresh requests the server answered (preflights not counted). */
  refreshes(): number;
  /** Moves the server clock forward through the test-only route. */
  advance(ms: number): Promise<void>;
  /** How far the server clock is ahead of real time (ms). */
  offset(): number;
  close(): Promise<void>;
}

let sdkFiles: Map<string, string> | undefined;
/** The SDK's browser bundles (hashed names) as /sdk/website.js, /sdk/supertokens.js, /sdk/session.js. */
function sdkBundles(): Map<string, string> {
  if (sdkFiles) return sdkFiles;
  const files = new Map<string, string>();
  const names = readdirSync(BUNDLES);
  for (const prefix of ["website", "supertokens", "session"]) {
    const file = names.find((f) => f.startsWith(`${prefix}.`) && f.endsWith(".js"));
    if (!file) throw new Error(`no ${prefix}.<hash>.js in ${BUNDLES}`);
    files.set(`/sdk/${prefix}.js`, readFileSync(join(BUNDLES, file), "utf8"));
  }
  sdkFiles = files;
  return files;
}

let clientScript: Promise<string> | undefined;
/** sdk-client.ts with @trpc/client and sessionkit/trpc/client, bundled for the browser. */
function clientBundle(): Promise<string> {
  clientScript ??= build({
    entryPoints: [fileURLToPath(new URL("./sdk-client.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  }).then((result) => result.outputFiles[0]?.text ?? "");
  return clientScript;
}

function pageHtml(apiOrigin: string, mode: SdkMode): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sessionkit × supertokens-web-js</title><link rel="icon" href="data:,"></head>
<body><p id="ready">loading</p>
<script>window.API = ${JSON.stringify(apiOrigin)};</script>
<script src="/sdk/website.js"></script><script src="/sdk/supertokens.js"></script><script src="/sdk/session.js"></script>
<script>
  supertokens.init({
    appInfo: { appName: "sessionkit browser test", apiDomain: window.API, apiBasePath: "/auth" },
    recipeList: [supertokensSession.init({ tokenTransferMethod: ${JSON.stringify(mode)} })],
  });
</script>
<script src="/client.js"></script>
</body></html>`;
}

/** Answers the page routes; false when the request is not for the page. */
async function servePage(req: IncomingMessage, res: ServerResponse, apiOrigin: string): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://page");
  const path = url.pathname;
  const mode: SdkMode = url.searchParams.get("mode") === "header" ? "header" : "cookie";
  const body = path === "/" ? pageHtml(apiOrigin, mode) : path === "/client.js" ? await clientBundle() : sdkBundles().get(path);
  if (body === undefined) return false;
  res.setHeader("content-type", path === "/" ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.end(body);
  return true;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startSdkServer(options: SdkServerOptions): Promise<SdkServer> {
  let apiHandler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const served: Served[] = [];
  let offset = 0;

  const api = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown) => {
      if (typeof chunk === "string" || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    const { write, end } = res;
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      keep(chunk);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      if (typeof chunk !== "function") keep(chunk);
      return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as typeof res.end;
    res.on("finish", () =>
      served.push({
        method: req.method ?? "GET",
        path,
        status: res.statusCode,
        body: Buffer.concat(chunks).toString("utf8").slice(0, 4096),
      }),
    );
    if (!options.crossOrigin) {
      void servePage(req, res, apiOrigin).then((done) => done || apiHandler(req, res));
    } else {
      apiHandler(req, res);
    }
  });
  const apiOrigin = await listen(api);
  const page = options.crossOrigin
    ? createServer((req, res) => void servePage(req, res, apiOrigin).then((done) => done || res.writeHead(404).end()))
    : undefined;
  const pageOrigin = page ? await listen(page) : apiOrigin;

  const sessions = createSessions({
    store: drizzleStore(options.db),
    accessTokenTtl: ACCESS_TOKEN_TTL,
    antiCsrf: options.antiCsrf,
    revocation: options.revocation ?? "notify",
    refreshGraceSeconds: GRACE_SECONDS,
    claims: [sdkRoles],
    cookies: { secure: false },
    now: () => Date.now() + offset,
    onWarning: () => {},
    ...(options.tokenTransfer ? { tokenTransfer: options.tokenTransfer } : {}),
    ...(options.exposeAccessToken ? { exposeAccessTokenToFrontendInCookieBasedAuth: true } : {}),
    ...(options.crossOrigin ? { cors: { origins: [pageOrigin] } } : {}),
  });
  const createContext = createSessionContext(sessions);
  const yoga = createYoga({
    schema: sdkSchema,
    logging: false,
    plugins: [useSessions(sessions)],
    // The documented cross-origin setting for Yoga: exact origins, credentials.
    cors: options.crossOrigin ? { origin: [pageOrigin], credentials: true } : false,
  });

  /** Test-only: POST /__test/clock?advance=<ms> moves the sessions' clock. */
  const testRoute = (path: string, url: URL): Response | undefined => {
    if (path !== "/__test/clock") return undefined;
    offset += Number(url.searchParams.get("advance") ?? 0);
    return new Response(JSON.stringify({ offset }), { headers: { "content-type": "application/json" } });
  };

  if (options.adapter === "fetch") {
    const cors = sessions.cors();
    const handler = async (request: Request): Promise<Response> => {
      const url = new URL(request.url);
      const own = (await sessions.handle(request)) ?? testRoute(url.pathname, url);
      if (own) return own;
      if (url.pathname === "/graphql") return yoga.fetch(request);
      if (url.pathname.startsWith("/trpc/")) {
        const response = await fetchRequestHandler({
          endpoint: "/trpc",
          req: request,
          router: sdkRouter,
          createContext,
          responseMeta: sessionResponseMeta,
        });
        // tRPC's fetch adapter knows nothing of CORS: add the sessions' headers (exposed ones merged).
        cors(request).forEach((value, name) => {
          if (name !== "access-control-expose-headers" || !response.headers.has(name)) response.headers.set(name, value);
        });
        return response;
      }
      return new Response("not found", { status: 404 });
    };
    apiHandler = serveFetch(handler, () => {});
  } else {
    const middleware = sessions.middleware();
    const trpc = createHTTPHandler({ router: sdkRouter, createContext, basePath: "/trpc/", responseMeta: sessionResponseMeta });
    apiHandler = (req, res) => {
      void middleware(req, res, (error) => {
        const url = new URL(req.url ?? "/", apiOrigin);
        const test = testRoute(url.pathname, url);
        if (error) {
          res.statusCode = 500;
          res.end();
        } else if (test) {
          res.setHeader("content-type", "application/json");
          void test.text().then((text) => res.end(text));
        } else if (url.pathname === "/graphql") {
          void yoga(req, res);
        } else if (url.pathname.startsWith("/trpc/")) {
          trpc(req, res);
        } else {
          res.statusCode = 404;
          res.end("not found");
        }
      });
    };
  }

  return {
    pageUrl: `${pageOrigin}/`,
    apiOrigin,
    sessions,
    served,
    refreshes: () => served.filter((r) => r.method === "POST" && r.path === "/auth/session/refresh").length,
    async advance(ms) {
      const response = await fetch(`${apiOrigin}/__test/clock?advance=${ms}`, { method: "POST" });
      if (!response.ok) throw new Error(`clock route answered ${response.status}`);
    },
    offset: () => offset,
    async close() {
      await Promise.all([closeServer(api), page && closeServer(page)]);
      await sessions.close();
    },
  };
}
