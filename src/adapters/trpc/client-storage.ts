// sessionkit/trpc/client's token storage: where cookie mode keeps its `anti-csrf` token, and
// header mode's bookkeeping over a {@link TokenStore} (clients without cookies). Browser-safe
// like client.ts: imports nothing, needs no DOM API (localStorage is feature-tested).

/** Where the `anti-csrf` token (mode `via-token`) is kept between page loads. */
export interface AntiCsrfTokenStorage {
  get(): string | null | undefined;
  set(token: string | null): void;
}

/** The tokens header mode hands out (`st-access-token`, `st-refresh-token`, `front-token`, `anti-csrf` response headers). */
export interface Tokens {
  accessToken: string;
  refreshToken?: string;
  frontToken?: string;
  antiCsrf?: string;
}

/** Where a client without cookies keeps its {@link Tokens} (memory, a file, the platform's secure storage). */
export interface TokenStore {
  get(): Tokens | undefined | Promise<Tokens | undefined>;
  /** `undefined` clears the store (sign-out, a session that ended). */
  set(tokens: Tokens | undefined): void | Promise<void>;
}

const TOKEN_KEY = "sessionkit-anti-csrf";

/** The default {@link AntiCsrfTokenStorage}: `localStorage` when it is available, else memory. */
export function defaultStorage(): AntiCsrfTokenStorage {
  let memory: string | null = null;
  const local = (() => {
    try {
      const storage = (globalThis as { localStorage?: Storage }).localStorage;
      storage?.getItem(TOKEN_KEY);
      return storage;
    } catch {
      return undefined; // storage disabled (private mode, sandboxed frame)
    }
  })();
  return {
    get: () => (local ? local.getItem(TOKEN_KEY) : memory),
    set(token) {
      memory = token;
      if (!local) return;
      if (token === null) local.removeItem(TOKEN_KEY);
      else local.setItem(TOKEN_KEY, token);
    },
  };
}

/**
 * Header mode's bookkeeping over a {@link TokenStore}, byte for byte what supertokens-website's
 * `saveTokensFromHeaders` and `setAuthorizationHeaderIfRequired` do: a token header replaces the
 * kept token (an empty one clears it), `front-token: remove` clears everything, and the access
 * token (the refresh token on refresh) goes out as `Authorization: Bearer`.
 */
export function headerTokens(store: TokenStore) {
  let last: Tokens | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  /** Store calls run one after another, so two responses never interleave a read and a write. */
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => {});
    return next;
  };
  const read = () => serial(async () => (last = await store.get()));
  const write = (tokens: Tokens | undefined) =>
    serial(async () => {
      last = tokens;
      await store.set(tokens);
    });
  return {
    read,
    clear: () => write(undefined),
    headers(tokens: Tokens | undefined, refresh: boolean): Record<string, string> {
      const headers: Record<string, string> = { rid: refresh ? "session" : "anti-csrf", "st-auth-mode": "header" };
      const token = refresh ? tokens?.refreshToken : tokens?.accessToken;
      if (token) headers.authorization = `Bearer ${token}`;
      if (tokens?.antiCsrf) headers["anti-csrf"] = tokens.antiCsrf;
      return headers;
    },
    last: () => last,
    async observe(response: Response): Promise<void> {
      const h = response.headers;
      const access = h.get("st-access-token");
      const refresh = h.get("st-refresh-token");
      const front = h.get("front-token");
      const antiCsrf = h.get("anti-csrf");
      if (front === "remove") return write(undefined);
      if (access === null && refresh === null && front === null && antiCsrf === null) return;
      const next: Partial<Tokens> = { ...(await read()) };
      const apply = (key: keyof Tokens, value: string | null) => {
        if (value === "") delete next[key];
        else if (value !== null) next[key] = value;
      };
      apply("accessToken", access);
      apply("refreshToken", refresh);
      apply("frontToken", front);
      apply("antiCsrf", antiCsrf);
      await write(next.accessToken ? (next as Tokens) : undefined);
    },
  };
}
