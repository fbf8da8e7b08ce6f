// LISTEN for revocation notices on the driver behind a Drizzle database. postgres.js: a
// dedicated one-connection client that reports drops (closed socket, failed heartbeat) and
// reconnects with backoff; the driver's own `listen` gives up silently if its first reconnect
// fails and never notices a connection that hangs. PGlite: its in-process `listen`.

import type { ListenHandlers } from "../core/store.js";

interface PgliteLike {
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  query: unknown;
}

interface PostgresJsLike {
  options: Record<string, unknown> & { connection?: Record<string, unknown> };
  unsafe: unknown;
}

type ListenClient = {
  unsafe(query: string): Promise<unknown>;
  end(options?: { timeout?: number }): Promise<void>;
};
type PostgresFactory = (options: Record<string, unknown>) => ListenClient;

/** Timings of the postgres.js listener; tests shorten them. */
export interface ListenTimings {
  /** Delays between reconnection attempts; the last one repeats. */
  backoffMs: readonly number[];
  /** How often the listener sends itself a notice on a private channel and waits to hear it. */
  heartbeatMs: number;
  /** A probe slower than this counts as a dropped connection. */
  heartbeatTimeoutMs: number;
  /** Connecting and LISTENing slower than this counts as a failed attempt. */
  listenTimeoutMs: number;
}

// A silent drop is noticed within heartbeat + timeout (10 s), instead of the many minutes TCP
// keepalive takes. Generous timeouts: a false alarm costs a reconnect and a catch-up read.
const DEFAULT_TIMINGS: ListenTimings = {
  backoffMs: [100, 250, 500, 1000, 2000, 5000],
  heartbeatMs: 5000,
  heartbeatTimeoutMs: 5000,
  listenTimeoutMs: 10_000,
};
/** Appended to the client's application_name, so the listener is easy to spot in pg_stat_activity. */
const LISTENER_SUFFIX = " sessionkit-listener";
/** Postgres keeps at most 63 bytes of application_name. */
const APPLICATION_NAME_MAX = 63;

function isPostgresJs(client: unknown): client is PostgresJsLike {
  const c = client as Partial<PostgresJsLike> | undefined;
  return typeof client === "function" && typeof c?.unsafe === "function" && typeof c.options === "object";
}

function isPglite(client: unknown): client is PgliteLike {
  return (
    typeof client === "object" &&
    client !== null &&
    typeof (client as PgliteLike).listen === "function" &&
    typeof (client as PgliteLike).query === "function"
  );
}

/** Whether `listenOn` supports this Drizzle client (`db.$client`). */
export function canListen(client: unknown): boolean {
  return isPglite(client) || isPostgresJs(client);
}

/**
 * Starts listening; resolves once the first LISTEN is in place, with a function that stops it.
 * Aborting `signal` stops it too, including a first connection attempt still in progress.
 */
export async function listenOn(
  client: unknown,
  channel: string,
  handlers: ListenHandlers,
  { signal, timings = DEFAULT_TIMINGS }: { signal?: AbortSignal | undefined; timings?: ListenTimings } = {},
): Promise<() => Promise<void>> {
  if (isPglite(client)) {
    // In-process: the "connection" cannot drop, so there is nothing to watch.
    const unlisten = await client.listen(channel, (payload) => handlers.onNotify(payload));
    handlers.onListen();
    return unlisten;
  }
  if (isPostgresJs(client)) return listenPostgresJs(client, channel, handlers, timings, signal);
  throw new TypeError('sessionkit: revocation "notify" supports Drizzle on postgres.js or PGlite');
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`sessionkit: ${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function listenPostgresJs(
  client: PostgresJsLike,
  channel: string,
  handlers: ListenHandlers,
  timings: ListenTimings,
  signal: AbortSignal | undefined,
): Promise<() => Promise<void>> {
  signal?.throwIfAborted();
  const { default: postgres } = (await import("postgres" as string)) as { default: PostgresFactory };
  const quoted = `"${channel.replace(/"/g, '""')}"`;
  const appName = String(client.options.connection?.application_name ?? "postgres.js");
  let stopped = false;
  let attempt = 0;
  let current: ListenClient | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  // A channel of this listener alone, for its heartbeat notices (no other instance hears them).
  const pingChannel = `sessionkit_hb_${globalThis.crypto.randomUUID().replace(/-/g, "")}`;
  let awaitingPing: { nonce: string; heard: () => void } | undefined;

  // One fresh client per connection: an ended postgres.js client cannot be reused, and a late
  // close of an abandoned one must not be taken for a drop of the current one.
  const open = (): ListenClient => {
    const listener: ListenClient = postgres({
      // Already-parsed options (they carry `shared`), so postgres.js takes them as they are.
      ...client.options,
      max: 1,
      idle_timeout: null,
      max_lifetime: null,
      fetch_types: false,
      debug: false,
      // Own retry counter and parameter table, not the application pool's.
      shared: { retries: 0, typeArrayMap: {} },
      parameters: {},
      connection: {
        ...client.options.connection,
        application_name: appName.slice(0, APPLICATION_NAME_MAX - LISTENER_SUFFIX.length) + LISTENER_SUFFIX,
      },
      onnotice: () => {},
      // Even from a connection already given up on: a revocation heard late is still true, and
      // remembering it can only make the guard stricter.
      onnotify: (name: string, payload: string) => {
        if (name === pingChannel) {
          if (awaitingPing?.nonce === payload) awaitingPing.heard();
        } else if (name === channel && !stopped) {
          handlers.onNotify(payload);
        }
      },
      onclose: () => lost(listener, new Error("the LISTEN connection closed")),
    });
    return listener;
  };

  // The connection is gone or hangs: fail closed at once, abandon it, and try again later.
  const lost = (listener: ListenClient, error: unknown): void => {
    if (stopped || listener !== current) return;
    current = undefined;
    clearInterval(heartbeat);
    listener.end({ timeout: 0 }).catch(() => {});
    handlers.onDrop(error);
    schedule();
  };

  const subscribe = async (): Promise<void> => {
    const listener = open();
    current = listener;
    try {
      await withTimeout(listener.unsafe(`LISTEN ${quoted}; LISTEN ${pingChannel}`), timings.listenTimeoutMs, "LISTEN");
    } catch (error) {
      if (listener === current) {
        current = undefined;
        listener.end({ timeout: 0 }).catch(() => {});
      }
      throw error;
    }
    if (stopped || listener !== current) return;
    attempt = 0;
    // A socket can hang without closing (a network partition, a frozen server), and a connection
    // can answer queries without receiving notices (LISTEN through PgBouncer in transaction
    // mode does not stick to it). Only a notice sent to ourselves and heard back proves the feed.
    let probing = false;
    let beats = 0;
    heartbeat = setInterval(() => {
      if (probing) return;
      probing = true;
      const nonce = String(++beats);
      const heard = new Promise<void>((resolve) => {
        awaitingPing = { nonce, heard: resolve };
      });
      const ping = listener.unsafe(`SELECT pg_notify('${pingChannel}', '${nonce}')`);
      withTimeout(Promise.all([ping, heard]), timings.heartbeatTimeoutMs, "the listener heartbeat")
        .catch((error: unknown) => lost(listener, error))
        .finally(() => {
          probing = false;
        });
    }, timings.heartbeatMs);
    (heartbeat as { unref?: () => void }).unref?.();
    handlers.onListen();
  };

  function schedule(): void {
    if (stopped || retryTimer) return;
    const delay = timings.backoffMs[Math.min(attempt++, timings.backoffMs.length - 1)];
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (stopped) return;
      subscribe().catch((error: unknown) => {
        if (stopped) return;
        handlers.onDrop(error);
        schedule();
      });
    }, delay);
    (retryTimer as { unref?: () => void }).unref?.();
  }

  // Once: an abort and the returned stop function both lead here, and both wait for the end.
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      stopped = true;
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(retryTimer);
      clearInterval(heartbeat);
      const listener = current;
      current = undefined;
      await listener?.end({ timeout: 0 });
    })());
  // A connection attempt can hang for listenTimeoutMs (postgres.js keeps retrying a refused
  // connect): closing must not wait for it.
  const onAbort = () => void stop().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });

  try {
    await subscribe();
  } catch (error) {
    await stop().catch(() => {});
    throw signal?.aborted ? signal.reason : error;
  }
  return stop;
}
