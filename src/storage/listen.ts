// LISTEN for revocation notices on the driver behind a Drizzle database. postgres.js: a
// dedicated one-connection client that reports drops and reconnects with backoff (the driver's
// own `listen` gives up silently if its first reconnect fails). PGlite: its in-process `listen`.

import type { ListenHandlers } from "../core/store.js";

interface PgliteLike {
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  query: unknown;
}

interface PostgresJsLike {
  options: Record<string, unknown>;
  unsafe: unknown;
}

type ListenClient = (strings: TemplateStringsArray, ...values: unknown[]) => Promise<unknown>;
type PostgresFactory = (options: Record<string, unknown>) => ListenClient & {
  unsafe(query: string): Promise<unknown>;
  end(options?: { timeout?: number }): Promise<void>;
};

const BACKOFF_MS = [100, 250, 500, 1000, 2000, 5000];

function isPostgresJs(client: unknown): client is PostgresJsLike {
  const c = client as Partial<PostgresJsLike> | undefined;
  return typeof client === "function" && typeof c?.unsafe === "function" && typeof c.options === "object";
}

function isPglite(client: unknown): client is PgliteLike {
  return typeof client === "object" && client !== null && typeof (client as PgliteLike).listen === "function" && typeof (client as PgliteLike).query === "function";
}

/** Starts listening; resolves once the first LISTEN is in place, with a function that stops it. */
export async function listenOn(client: unknown, channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
  if (isPglite(client)) {
    const unlisten = await client.listen(channel, (payload) => handlers.onNotify(payload));
    handlers.onListen();
    return unlisten;
  }
  if (isPostgresJs(client)) return listenPostgresJs(client, channel, handlers);
  throw new TypeError('sessionkit: revocation "notify" supports Drizzle on postgres.js or PGlite');
}

async function listenPostgresJs(client: PostgresJsLike, channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
  const { default: postgres } = (await import("postgres" as string)) as { default: PostgresFactory };
  let stopped = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const quoted = `"${channel.replace(/"/g, '""')}"`;

  const listener = postgres({
    ...client.options,
    max: 1,
    idle_timeout: null,
    max_lifetime: null,
    fetch_types: false,
    debug: false,
    onnotice: () => {},
    onnotify: (name: string, payload: string) => {
      if (name === channel) handlers.onNotify(payload);
    },
    onclose: () => {
      if (stopped) return;
      handlers.onDrop(new Error("the LISTEN connection closed"));
      schedule();
    },
  });

  const subscribe = async (): Promise<void> => {
    await listener.unsafe(`LISTEN ${quoted}`);
    attempt = 0;
    if (!stopped) handlers.onListen();
  };

  function schedule(): void {
    if (stopped || timer) return;
    const delay = BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)];
    timer = setTimeout(() => {
      timer = undefined;
      subscribe().catch((error: unknown) => {
        handlers.onDrop(error);
        schedule();
      });
    }, delay);
    (timer as { unref?: () => void }).unref?.();
  }

  try {
    await subscribe();
  } catch (error) {
    stopped = true;
    clearTimeout(timer);
    await listener.end({ timeout: 0 }).catch(() => {});
    throw error;
  }
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await listener.end({ timeout: 1 });
  };
}
