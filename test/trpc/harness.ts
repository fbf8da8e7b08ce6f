// The example app served over real HTTP (fetch adapter through node:http, or the Node adapter),
// with a request counter, and real @trpc/client clients whose fetch goes through a cookie jar.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type TRPCLink, createTRPCClient, httpBatchLink, httpBatchStreamLink, httpLink } from "@trpc/client";
import { type App, type AppOptions, createApp } from "../../examples/trpc/app.js";
import type { AppRouter } from "../../examples/trpc/router.js";
import { serveFetch } from "../../examples/trpc/serve.js";
import { type AntiCsrfTokenStorage, type SessionRefreshLink, sessionRefreshLink } from "../../src/adapters/trpc/client.js";
import { CookieJar } from "../helpers/jar.js";

export type AdapterKind = "fetch" | "node";
export const adapterKinds: AdapterKind[] = ["fetch", "node"];

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Listens on a free port; resolves with the base URL and a close function. */
export async function listen(handler: NodeHandler): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Requests the server saw, by path (`/auth/session/refresh`, `/trpc/me,hello`, …). */
export class RequestLog {
  readonly paths: string[] = [];
  count(prefix: string): number {
    return this.paths.filter((p) => p.startsWith(prefix)).length;
  }
  reset(): void {
    this.paths.length = 0;
  }
}

export interface Served {
  app: App;
  url: string;
  log: RequestLog;
  close(): Promise<void>;
}

/** The example app on one adapter, on a real port. */
export async function serveApp(kind: AdapterKind, options: AppOptions): Promise<Served> {
  const app = await createApp({ log: () => {}, ...options });
  const log = new RequestLog();
  const inner: NodeHandler = kind === "fetch" ? serveFetch(app.fetch, () => {}) : app.node;
  const served = await listen((req, res) => {
    log.paths.push(new URL(req.url ?? "/", "http://x").pathname);
    inner(req, res);
  });
  return {
    app,
    url: served.url,
    log,
    async close() {
      await served.close();
      await app.close();
    },
  };
}

/** A fetch that sends and stores cookies through a jar, as a browser would. */
export function jarFetch(jar: CookieJar) {
  return async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init.headers);
    const cookie = jar.header(url.pathname);
    if (cookie) headers.set("cookie", cookie);
    const response = await fetch(url, { ...init, headers });
    jar.store(response);
    return response;
  };
}

export function memoryStorage(): AntiCsrfTokenStorage & { value: string | null } {
  const storage = {
    value: null as string | null,
    get: () => storage.value,
    set: (token: string | null) => {
      storage.value = token;
    },
  };
  return storage;
}

export type LinkKind = "batch" | "http" | "stream";

export interface TestClient {
  trpc: ReturnType<typeof createTRPCClient<AppRouter>>;
  jar: CookieJar;
  link: SessionRefreshLink<AppRouter>;
  storage: ReturnType<typeof memoryStorage>;
  expired: number;
}

/** A tRPC client like the example page's: sessionRefreshLink, then an HTTP link, with a cookie jar. */
export function createClient(
  url: string,
  options: { now?: () => number; link?: LinkKind; jar?: CookieJar; refreshLink?: boolean } = {},
): TestClient {
  const jar = options.jar ?? new CookieJar(options.now);
  const storage = memoryStorage();
  const client = { jar, storage, expired: 0 } as TestClient;
  const link = sessionRefreshLink<AppRouter>({
    baseUrl: `${url}/auth`,
    fetch: jarFetch(jar),
    tokenStorage: storage,
    onSessionExpired: () => {
      client.expired++;
    },
  });
  const http = { url: `${url}/trpc`, fetch: link.fetch };
  const terminal: TRPCLink<AppRouter> =
    options.link === "http" ? httpLink(http) : options.link === "stream" ? httpBatchStreamLink(http) : httpBatchLink(http);
  client.link = link;
  client.trpc = createTRPCClient<AppRouter>({ links: options.refreshLink === false ? [terminal] : [link, terminal] });
  return client;
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<{ message: string; data?: Record<string, unknown> & { sessionCode?: string; code?: string; httpStatus?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as never;
  }
  throw new Error("expected the call to fail");
}

let counter = 0;
/** A unique user name per call (several test files share one Postgres). */
export function uniqueName(prefix = "user"): string {
  return `${prefix}${process.pid}x${Date.now().toString(36)}x${counter++}`.slice(0, 32);
}
