// One dedicated LISTEN connection, opened from the options of the application's own client, on
// each driver that has connections: postgres.js (a one-connection `postgres()` client) and
// node-postgres (a `pg.Client` of the class the pool uses). listen.ts watches and replaces it.

/** Events of one listening connection. */
export interface ConnectionEvents {
  onNotify(channel: string, payload: string): void;
  /** The connection closed or failed; it is not used again. */
  onClose(error?: unknown): void;
}

/** One listening connection: connects on first use. */
export interface ListenConnection {
  /** Runs a simple-protocol statement (several separated by `;` are fine). */
  query(text: string): Promise<unknown>;
  /** Closes at once, without waiting on a hung socket. */
  end(): Promise<void>;
}

export type OpenConnection = (events: ConnectionEvents) => ListenConnection;

interface PgliteLike {
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  query: unknown;
}

interface PostgresJsLike {
  options: Record<string, unknown> & { connection?: Record<string, unknown> };
  unsafe: unknown;
}

type PostgresJsClient = {
  unsafe(query: string): Promise<unknown>;
  end(options?: { timeout?: number }): Promise<void>;
};
type PostgresFactory = (options: Record<string, unknown>) => PostgresJsClient;

/** What sessionkit uses of a `pg.Client`. */
interface PgClient {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: "notification", listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: "error" | "end", listener: (error?: unknown) => void): unknown;
  connection?: { stream?: { destroy(): void } };
}
type PgClientClass = new (config: Record<string, unknown>) => PgClient;

/** A `pg.Pool`: its options and the Client class it makes connections with. */
interface PgPoolLike {
  options: Record<string, unknown>;
  Client: PgClientClass;
  query: unknown;
  connect: unknown;
}

/** A single `pg.Client`: its parsed connection parameters. */
interface PgSingleClientLike {
  connectionParameters: Record<string, unknown>;
  query: unknown;
  connect: unknown;
}

/** Appended to the client's application_name, so the listener is easy to spot in pg_stat_activity. */
const LISTENER_SUFFIX = " sessionkit-listener";
/** Postgres keeps at most 63 bytes of application_name. */
const APPLICATION_NAME_MAX = 63;
const listenerName = (appName: string) => appName.slice(0, APPLICATION_NAME_MAX - LISTENER_SUFFIX.length) + LISTENER_SUFFIX;

export function isPglite(client: unknown): client is PgliteLike {
  return (
    typeof client === "object" &&
    client !== null &&
    typeof (client as PgliteLike).listen === "function" &&
    typeof (client as PgliteLike).query === "function"
  );
}

function isPostgresJs(client: unknown): client is PostgresJsLike {
  const c = client as Partial<PostgresJsLike> | undefined;
  return typeof client === "function" && typeof c?.unsafe === "function" && typeof c.options === "object";
}

function isPgPool(client: unknown): client is PgPoolLike {
  const c = client as Partial<PgPoolLike> | null;
  return (
    typeof c === "object" &&
    c !== null &&
    typeof c.Client === "function" &&
    typeof c.options === "object" &&
    typeof c.query === "function" &&
    typeof c.connect === "function"
  );
}

function isPgClient(client: unknown): client is PgSingleClientLike {
  const c = client as Partial<PgSingleClientLike> | null;
  return (
    typeof c === "object" &&
    c !== null &&
    typeof c.connectionParameters === "object" &&
    typeof c.query === "function" &&
    typeof c.connect === "function"
  );
}

/** How to open a listening connection like `client` (a Drizzle `$client`), or undefined. */
export function openerFor(client: unknown): OpenConnection | undefined {
  if (isPostgresJs(client)) return postgresJsOpener(client);
  if (isPgPool(client)) return pgOpener(client.Client, client.options);
  if (isPgClient(client)) return pgOpener((client as unknown as { constructor: PgClientClass }).constructor, client.connectionParameters);
  return undefined;
}

function postgresJsOpener(client: PostgresJsLike): OpenConnection {
  const appName = String(client.options.connection?.application_name ?? "postgres.js");
  // Loaded on first connection: the application already has postgres.js, so this resolves.
  let factory: Promise<PostgresFactory> | undefined;
  return (events) => {
    factory ??= (import("postgres" as string) as Promise<{ default: PostgresFactory }>).then((m) => m.default);
    const made = factory.then((postgres) =>
      postgres({
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
        connection: { ...client.options.connection, application_name: listenerName(appName) },
        onnotice: () => {},
        onnotify: (name: string, payload: string) => events.onNotify(name, payload),
        onclose: () => events.onClose(),
      }),
    );
    return {
      query: (text) => made.then((sql) => sql.unsafe(text)),
      end: () => made.then((sql) => sql.end({ timeout: 0 })),
    };
  };
}

function pgOpener(Client: PgClientClass, options: Record<string, unknown>): OpenConnection {
  const appName = String(options.application_name ?? "node-postgres");
  return (events) => {
    const client = new Client({ ...options, application_name: listenerName(appName), keepAlive: true });
    let closed = false;
    const close = (error?: unknown) => {
      if (closed) return;
      closed = true;
      events.onClose(error);
    };
    client.on("notification", (message) => events.onNotify(message.channel, message.payload ?? ""));
    // Without an "error" listener a dropped pg.Client throws from an event emitter and ends the process.
    client.on("error", (error) => close(error));
    client.on("end", () => close());
    const connected = client.connect();
    connected.catch(() => {});
    return {
      query: (text) => connected.then(() => client.query(text)),
      async end() {
        closed = true;
        // pg's end() waits for the server's goodbye, which a partitioned socket never sends.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const gone = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            client.connection?.stream?.destroy();
            resolve();
          }, 100);
        });
        await Promise.race([client.end().catch(() => {}), gone]);
        clearTimeout(timer);
      },
    };
  };
}
