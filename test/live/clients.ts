// Real clients for live-connection tests: `ws` sockets carrying a cookie jar's cookies (and any
// Origin), tRPC's wsLink and httpSubscriptionLink, and a recorder for one subscription.

import { type TRPCLink, createTRPCClient, createWSClient, httpLink, httpSubscriptionLink, splitLink, wsLink } from "@trpc/client";
import { EventSource } from "eventsource";
import WebSocket from "ws";
import type { CookieJar } from "../helpers/jar.js";
import type { LiveRouter } from "./trpc-app.js";

/** A WebSocket class for tRPC's `WebSocket` option: each socket sends the jar's cookies and the given headers. */
export function socketClass(jar: CookieJar | undefined, headers: Record<string, string> = {}): typeof WebSocket {
  return class JarSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      const cookie = jar?.header("/");
      super(url, protocols ?? [], { headers: { ...headers, ...(cookie ? { cookie } : {}) } });
    }
  } as typeof WebSocket;
}

/** A fetch that sends and keeps the jar's cookies. */
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

/** Signs in over HTTP (the `signIn` mutation); the jar gets the cookies. Returns the handle. */
export async function signIn(url: string, jar: CookieJar, userId: string): Promise<string> {
  const response = await jarFetch(jar)(`${url}/trpc/signIn`, {
    method: "POST",
    headers: { "content-type": "application/json", rid: "anti-csrf" },
    body: JSON.stringify({ userId }),
  });
  const body = (await response.json()) as { result?: { data: { handle: string } } };
  if (!body.result) throw new Error(`sign-in failed: ${JSON.stringify(body)}`);
  return body.result.data.handle;
}

export interface WsClientOptions {
  jar?: CookieJar;
  headers?: Record<string, string>;
  connectionParams?: () => Record<string, string> | Promise<Record<string, string>>;
  links?: TRPCLink<LiveRouter>[];
}

/** A tRPC client over one WebSocket (wsLink), plus its wsClient. */
export function wsTrpc(wsUrl: string, options: WsClientOptions = {}) {
  const wsClient = createWSClient({
    url: wsUrl,
    WebSocket: socketClass(options.jar, options.headers) as never,
    retryDelayMs: () => 20,
    ...(options.connectionParams ? { connectionParams: options.connectionParams } : {}),
  });
  const trpc = createTRPCClient<LiveRouter>({ links: [...(options.links ?? []), wsLink({ client: wsClient })] });
  return { trpc, wsClient, close: () => wsClient.close() };
}

/** A tRPC client with subscriptions over SSE (httpSubscriptionLink, cookies from the jar) and the rest over HTTP. */
export function sseTrpc(url: string, jar: CookieJar, links: TRPCLink<LiveRouter>[] = []) {
  const fetchWithJar = jarFetch(jar);
  return createTRPCClient<LiveRouter>({
    links: [
      ...links,
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: `${url}/trpc`,
          EventSource: EventSource as never,
          eventSourceOptions: () => ({ fetch: fetchWithJar }) as never,
        }),
        false: httpLink({ url: `${url}/trpc`, fetch: fetchWithJar, headers: { rid: "anti-csrf" } }),
      }),
    ],
  });
}

export interface Recorded {
  events: number[];
  /** The error the subscription ended with (tRPC client error), once it has. */
  error: Promise<{ at: number; data?: { sessionCode?: string; code?: string }; message: string }>;
  /** Resolves once the server confirmed the subscription (`started`). */
  started: Promise<void>;
  /** Resolves at the next event. */
  nextEvent(): Promise<number>;
  stop(): void;
}

type Subscribable = {
  subscribe(
    input: undefined,
    handlers: { onData(value: unknown): void; onError(error: unknown): void; onStarted?(): void; onComplete?(): void },
  ): { unsubscribe(): void };
};

/** Subscribes to `feed` and records its events and its end. */
export function record(feed: Subscribable): Recorded {
  const events: number[] = [];
  let waiters: ((n: number) => void)[] = [];
  let fail: (error: never) => void = () => {};
  let markStarted = () => {};
  const error = new Promise<never>((resolve) => {
    fail = resolve;
  });
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const subscription = feed.subscribe(undefined, {
    onStarted: () => markStarted(),
    onData(value) {
      const n = (value as { data: number }).data;
      events.push(n);
      const current = waiters;
      waiters = [];
      for (const w of current) w(n);
    },
    onError(e) {
      const err = e as { data?: { sessionCode?: string }; message: string };
      fail({ at: performance.now(), data: err.data, message: err.message } as never);
    },
  });
  return {
    events,
    error: error as Recorded["error"],
    started,
    nextEvent: () => new Promise<number>((resolve) => waiters.push(resolve)),
    stop: () => subscription.unsubscribe(),
  };
}
