// LISTEN for revocation notices on the driver behind a Drizzle database. postgres.js and
// node-postgres: a dedicated one-connection client (see listen-connections.ts) that reports
// drops (closed socket, failed heartbeat) and reconnects with backoff; the drivers' own `listen`
// gives up silently (postgres.js, if its first reconnect fails) or not at all (node-postgres has
// none), and neither notices a connection that hangs. PGlite: its in-process `listen`.

import type { ListenHandlers } from "../core/store.js";
import { type ListenConnection, type OpenConnection, isPglite, openerFor } from "./listen-connections.js";

/** Timings of the listener; tests shorten them. */
export interface ListenTimings {
  /** Delays between reconnection attempts; the last one repeats. */
  backoffMs: readonly number[];
  /** How often the listener sends itself a notice on a private channel and waits to hear it. */
  heartbeatMs: number;
  /** A probe slower than this counts as a dropped connection. */
  heartbeatTimeoutMs: number;
  /** Connecting and LISTENing (and hearing the first probe) slower than this counts as a failed attempt. */
  listenTimeoutMs: number;
}

// A silent drop is noticed within heartbeat + timeout (2 × `notifyHeartbeatMs`, 4 s by default),
// instead of the many minutes TCP keepalive takes. A false alarm costs only a reconnect and a
// catch-up read (the process fails closed meanwhile), so the bound can be tight.
const DEFAULT_TIMINGS: ListenTimings = {
  backoffMs: [100, 250, 500, 1000, 2000, 5000],
  heartbeatMs: 2000,
  heartbeatTimeoutMs: 2000,
  listenTimeoutMs: 10_000,
};

/** Whether `listenOn` supports this Drizzle client (`db.$client`). */
export function canListen(client: unknown): boolean {
  return isPglite(client) || openerFor(client) !== undefined;
}

/**
 * Starts listening; resolves once the first LISTEN is in place, with a function that stops it.
 * Aborting `signal` stops it too, including a first connection attempt still in progress.
 */
export async function listenOn(
  client: unknown,
  channel: string,
  handlers: ListenHandlers,
  {
    signal,
    heartbeatMs,
    timings = heartbeatMs === undefined ? DEFAULT_TIMINGS : { ...DEFAULT_TIMINGS, heartbeatMs, heartbeatTimeoutMs: heartbeatMs },
  }: { signal?: AbortSignal | undefined; heartbeatMs?: number | undefined; timings?: ListenTimings } = {},
): Promise<() => Promise<void>> {
  if (isPglite(client)) {
    // In-process: the "connection" cannot drop, so there is nothing to watch.
    const unlisten = await client.listen(channel, (payload) => handlers.onNotify(payload));
    handlers.onListen();
    return unlisten;
  }
  const open = openerFor(client);
  if (!open) throw new TypeError('sessionkit: revocation "notify" supports Drizzle on postgres.js, node-postgres or PGlite');
  return listenResilient(open, channel, handlers, timings, signal);
}

/** `promise`, or a rejection after `ms`, or as soon as `halted` rejects (the listener was stopped). */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string, halted: Promise<never>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`sessionkit: ${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout, halted]).finally(() => clearTimeout(timer));
}

// Why a probe is not heard on a connection that answers queries: the usual cause is a pooler.
const NOT_HEARD =
  "the listener did not hear a notice it sent (behind PgBouncer in transaction mode? LISTEN needs a direct connection: drizzleStore(db, { listen: directDb }))";

async function listenResilient(
  open: OpenConnection,
  channel: string,
  handlers: ListenHandlers,
  timings: ListenTimings,
  signal: AbortSignal | undefined,
): Promise<() => Promise<void>> {
  signal?.throwIfAborted();
  const quoted = `"${channel.replace(/"/g, '""')}"`;
  let stopped = false;
  let attempt = 0;
  let current: ListenConnection | undefined;
  let live: ListenConnection | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  // A channel of this listener alone, for its heartbeat notices (no other instance hears them).
  const pingChannel = `sessionkit_hb_${globalThis.crypto.randomUUID().replace(/-/g, "")}`;
  let awaitingPing: { nonce: string; heard: () => void } | undefined;
  let beats = 0;
  // Rejected by stop(): whatever the start is waiting for (a probe that the ended connection can
  // no longer hear, a hanging connect) ends at once instead of after listenTimeoutMs.
  let halt: (reason: Error) => void = () => {};
  const halted = new Promise<never>((_, reject) => {
    halt = reject;
  });
  halted.catch(() => {});

  // One fresh connection per attempt: a late close of an abandoned one must not be taken for a
  // drop of the current one.
  const connect = (): ListenConnection => {
    const connection: ListenConnection = open({
      // Even from a connection already given up on: a revocation heard late is still true, and
      // remembering it can only make the guard stricter.
      onNotify(name, payload) {
        if (name === pingChannel) {
          if (awaitingPing?.nonce === payload) awaitingPing.heard();
        } else if (name === channel && !stopped) {
          handlers.onNotify(payload);
        }
      },
      onClose: (error) => lost(connection, error ?? new Error("the LISTEN connection closed")),
    });
    return connection;
  };

  // The connection is gone or hangs: fail closed at once, abandon it, and try again later.
  // Only a connection that went live can drop: a failure while connecting is the attempt's own.
  const lost = (connection: ListenConnection, error: unknown): void => {
    if (stopped || connection !== current || connection !== live) return;
    current = undefined;
    clearInterval(heartbeat);
    connection.end().catch(() => {});
    handlers.onDrop(error);
    schedule();
  };

  // A socket can hang without closing (a network partition, a frozen server), and a connection
  // can answer queries without receiving notices (LISTEN through PgBouncer in transaction mode
  // does not stick to it). Only a notice sent to ourselves and heard back proves the feed.
  // `from` sends the notice: the listener itself for heartbeats, a second short-lived connection
  // for the first probe (see subscribe).
  const probe = (from: ListenConnection, ms: number, what: string): Promise<unknown> => {
    const nonce = String(++beats);
    const sent = performance.now();
    const heard = new Promise<void>((resolve) => {
      awaitingPing = {
        nonce,
        heard: () => {
          handlers.onProbe?.(performance.now() - sent);
          resolve();
        },
      };
    });
    const ping = from.query(`SELECT pg_notify('${pingChannel}', '${nonce}')`);
    let answered = false;
    ping.then(
      () => {
        answered = true;
      },
      () => {},
    );
    // The ping was answered but its notice never came: say why that usually happens.
    return withTimeout(Promise.all([ping, heard]), ms, what, halted).catch((error: unknown) => {
      throw answered ? new Error(`sessionkit: ${NOT_HEARD}`, { cause: error }) : error;
    });
  };

  const subscribe = async (): Promise<void> => {
    const connection = connect();
    current = connection;
    try {
      await withTimeout(connection.query(`LISTEN ${quoted}; LISTEN ${pingChannel}`), timings.listenTimeoutMs, "LISTEN", halted);
      // Live only once a notice from another session is heard. A notice to itself proves little
      // behind a pooler: the bouncer may run the ping on the very server connection that ran
      // LISTEN, which then hears it, while other sessions' notices reach that server connection
      // when no client is linked to it and are lost. A second connection, closed right after,
      // tells the two apart, so a pooled LISTEN is refused at once.
      const sender = open({ onNotify() {}, onClose() {} });
      try {
        await probe(sender, timings.listenTimeoutMs, "the first listener probe");
      } finally {
        sender.end().catch(() => {});
      }
    } catch (error) {
      if (connection === current) {
        current = undefined;
        connection.end().catch(() => {});
      }
      throw error;
    }
    if (stopped || connection !== current) return;
    attempt = 0;
    live = connection;
    let probing = false;
    heartbeat = setInterval(() => {
      if (probing) return;
      probing = true;
      probe(connection, timings.heartbeatTimeoutMs, "the listener heartbeat")
        .catch((error: unknown) => lost(connection, error))
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
      halt(new Error("sessionkit: the listener was stopped"));
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(retryTimer);
      clearInterval(heartbeat);
      const connection = current;
      current = undefined;
      await connection?.end();
    })());
  // A connection attempt can hang for listenTimeoutMs (drivers keep retrying a refused
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
