// sessionkit/trpc/client: a tRPC client link that refreshes an expired session once (shared by
// every concurrent failing call) and retries, plus the fetch that sends what anti-CSRF needs,
// or, with a `tokenStore`, header mode's `Authorization: Bearer` (clients without cookies).
// Browser-safe: imports nothing from the server side of sessionkit, and needs no DOM API.

import type { TRPCLink } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import { observable } from "@trpc/server/observable";
import { type AntiCsrfTokenStorage, type TokenStore, defaultStorage, headerTokens } from "./client-storage.js";

export type { AntiCsrfTokenStorage, TokenStore, Tokens } from "./client-storage.js";

/** Options of {@link sessionRefreshLink}. */
export interface SessionRefreshLinkOptions {
  /** Base URL of sessionkit's routes (default `/auth`); the refresh path is `${baseUrl}/session/refresh`. */
  baseUrl?: string;
  /** Full refresh URL; overrides `baseUrl` (default `/auth/session/refresh`). */
  refreshUrl?: string;
  /** The fetch used for the refresh call and by `link.fetch` (default: the global `fetch`, looked up at call time). */
  fetch?: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /**
   * Replaces the built-in refresh call; resolves true when the session was refreshed. With the
   * SuperTokens SDK pass `() => Session.attemptRefreshingSession()` so the SDK keeps its state.
   */
  refresh?: () => Promise<boolean>;
  /** Where the `anti-csrf` token is kept (default: `localStorage` when available, else memory). */
  tokenStorage?: AntiCsrfTokenStorage;
  /** Called once per failed refresh: the session is gone and the user has to sign in again. */
  onSessionExpired?: () => void;
  /**
   * Called after every successful refresh, before the failed calls and subscriptions are sent
   * again. A WebSocket is authenticated once, at its upgrade, so with `wsLink` reopen it here to
   * send the new cookies (`reconnect: () => wsClient.close()`: the next call opens a new socket);
   * HTTP links and `httpSubscriptionLink` open a new request per call and need nothing.
   */
  reconnect?: () => void | Promise<void>;
  /**
   * Header mode, for clients without cookies (React Native, Node, CLIs): the link's fetch sends
   * `st-auth-mode: header` and `Authorization: Bearer <access token>`, keeps every token a response
   * hands out in this store, refreshes with the refresh token, and clears the store when the
   * server ends the session (`front-token: remove`, sign-out) or answers `UNAUTHORISED`.
   */
  tokenStore?: TokenStore;
}

/** The link, plus the fetch and headers the HTTP link needs for anti-CSRF. */
export type SessionRefreshLink<TRouter extends AnyRouter = AnyRouter> = TRPCLink<TRouter> & {
  /**
   * A fetch for `httpLink`/`httpBatchLink`/`httpBatchStreamLink({ fetch })`: sends cookies
   * (`credentials: "include"`), the `rid` header (mode `via-custom-header`) and the stored
   * `anti-csrf` token (mode `via-token`), and keeps the token the server sends.
   */
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /** The headers to add to a request made with your own fetch: anti-CSRF, or with a `tokenStore` the last tokens' `Authorization`. */
  headers(): Record<string, string>;
  /** Refreshes the session now (one refresh at a time); true when it worked. */
  refresh(): Promise<boolean>;
};

/** The session code the server put in the error (`sessionErrorFormatter`), if any. */
function sessionCode(error: unknown): unknown {
  return (error as { data?: { sessionCode?: unknown } } | null)?.data?.sessionCode;
}

/** The session code the server put in the error (`sessionErrorFormatter`), or a bare 401. */
function needsRefresh(error: unknown): boolean {
  const e = error as { data?: { httpStatus?: unknown }; meta?: { response?: { status?: unknown } } };
  const code = sessionCode(error);
  if (typeof code === "string") return code === "TRY_REFRESH_TOKEN";
  return e?.data?.httpStatus === 401 || e?.meta?.response?.status === 401;
}

/**
 * A tRPC link that, when a call fails with `TRY_REFRESH_TOKEN` (read from
 * `error.data.sessionCode`, or a bare 401), calls the refresh path once (concurrent failures share
 * one refresh), then retries each failed call once. When the refresh fails it gives up cleanly:
 * the calls fail with their original error, no loop. Put it before the HTTP link and give that
 * link its `fetch`:
 *
 * ```ts
 * const session = sessionRefreshLink({ baseUrl: "/auth" });
 * createTRPCClient<AppRouter>({ links: [session, httpBatchLink({ url: "/trpc", fetch: session.fetch })] });
 * ```
 *
 * Without cookies (React Native, Node), pass a `tokenStore`: the same link then speaks header mode.
 */
export function sessionRefreshLink<TRouter extends AnyRouter = AnyRouter>(
  options: SessionRefreshLinkOptions = {},
): SessionRefreshLink<TRouter> {
  const refreshUrl = options.refreshUrl ?? `${(options.baseUrl ?? "/auth").replace(/\/+$/, "")}/session/refresh`;
  const storage = options.tokenStorage ?? defaultStorage();
  const tokens = options.tokenStore ? headerTokens(options.tokenStore) : undefined;
  const baseFetch = (input: RequestInfo | URL, init?: RequestInit) => (options.fetch ?? globalThis.fetch)(input, init);

  function observe(response: Response): void {
    const front = response.headers.get("front-token");
    const token = response.headers.get("anti-csrf");
    if (front === "remove") storage.set(null);
    else if (token) storage.set(token);
  }

  function headers(): Record<string, string> {
    if (tokens) return tokens.headers(tokens.last(), false);
    const token = storage.get();
    return token ? { rid: "anti-csrf", "anti-csrf": token } : { rid: "anti-csrf" };
  }

  async function sessionFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const merged = new Headers(init.headers);
    const own = tokens ? tokens.headers(await tokens.read(), false) : headers();
    for (const [name, value] of Object.entries(own)) if (!merged.has(name)) merged.set(name, value);
    if (tokens) {
      // No cookies in header mode: credentials stay as the caller set them.
      const response = await baseFetch(input, { ...init, headers: merged });
      await tokens.observe(response);
      return response;
    }
    const response = await baseFetch(input, { ...init, headers: merged, credentials: init.credentials ?? "include" });
    observe(response);
    return response;
  }

  async function builtInRefresh(): Promise<boolean> {
    if (tokens) {
      const current = await tokens.read();
      if (!current?.refreshToken) return false;
      const response = await baseFetch(refreshUrl, { method: "POST", headers: tokens.headers(current, true) });
      await tokens.observe(response);
      await response.text().catch(() => "");
      if (!response.ok && response.status < 500) await tokens.clear();
      return response.ok;
    }
    const token = storage.get();
    const response = await baseFetch(refreshUrl, {
      method: "POST",
      credentials: "include",
      headers: token ? { rid: "session", "anti-csrf": token } : { rid: "session" },
    });
    observe(response);
    // Drain the small body so the connection can be reused.
    await response.text().catch(() => "");
    return response.ok;
  }

  let inflight: Promise<boolean> | undefined;
  /** While `reconnect` runs: a subscription its socket completes is sent again on the new one. */
  let reconnecting: Promise<void> | undefined;
  /** Bumped by every successful refresh: a call sent before it just retries. */
  let generation = 0;
  function refresh(): Promise<boolean> {
    inflight ??= (async () => {
      try {
        const ok = await (options.refresh ?? builtInRefresh)();
        if (ok) {
          reconnecting = Promise.resolve(options.reconnect?.())
            .catch(() => {}) // a retry over the socket reports the connection's own error
            .finally(() => {
              reconnecting = undefined;
            });
          await reconnecting;
          generation++;
        } else options.onSessionExpired?.();
        return ok;
      } catch {
        return false; // network failure: the call fails with its own error
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  const link: TRPCLink<TRouter> =
    () =>
    ({ op, next }) =>
      observable((observer) => {
        // A failed call with TRY_REFRESH_TOKEN is refreshed and sent again once. A subscription is
        // sent again from its last tracked event id (`tracked()`), so the server replays what was
        // published meanwhile: no gap beyond the refresh; it may do so at every expiry, as long as
        // an event arrived in between.
        let current: { unsubscribe(): void } | undefined;
        let stopped = false;
        let lastEventId: string | undefined;
        const attempt = (retried: boolean) => {
          const sentAt = generation;
          const input = lastEventId === undefined ? op.input : withLastEventId(op.input, lastEventId);
          current = next(input === op.input ? op : { ...op, input }).subscribe({
            next: (value) => {
              const id = op.type === "subscription" ? (value.result as { id?: unknown }).id : undefined;
              if (typeof id === "string" || typeof id === "number") {
                lastEventId = String(id);
                retried = false;
              }
              observer.next(value);
            },
            complete: () => {
              const wait = reconnecting;
              if (op.type !== "subscription" || !wait) return observer.complete();
              void wait.then(() => {
                if (!stopped) attempt(retried);
              });
            },
            error: (error) => {
              // The server says the session is gone: forget its tokens, then fail as usual.
              if (tokens && sessionCode(error) === "UNAUTHORISED") {
                void tokens.clear().then(
                  () => observer.error(error),
                  () => observer.error(error),
                );
                return;
              }
              if (retried || stopped || !needsRefresh(error)) return observer.error(error);
              // A refresh finished after this call left: the retry already carries fresh tokens.
              const ready = generation !== sentAt ? Promise.resolve(true) : refresh();
              void ready.then((ok) => {
                if (stopped) return;
                if (ok) attempt(true);
                else observer.error(error);
              });
            },
          });
        };
        attempt(false);
        return () => {
          stopped = true;
          current?.unsubscribe();
        };
      });

  return Object.assign(link, { fetch: sessionFetch, headers, refresh });
}

/** The input with `lastEventId`, as tRPC's own links resend a tracked subscription. */
function withLastEventId(input: unknown, lastEventId: string): unknown {
  if (input !== undefined && input !== null && typeof input !== "object") return input;
  return { ...(input as object | undefined), lastEventId };
}
