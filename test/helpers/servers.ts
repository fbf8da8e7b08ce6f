// Database servers a test starts for itself: a PgBouncer in front of the shared Postgres, and
// whole Postgres clusters (initdb into a temp dir) with a streaming standby. Free ports, temp dirs, run as the `postgres`
// OS user when we are root (both refuse to run as root), and always stopped by `close()` and at
// process exit.

import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const PGBOUNCER = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find((p) => existsSync(p));

/** Why a server test skips here (and fails in CI). */
export const serversMissing = (): string | undefined =>
  !PGBOUNCER
    ? "pgbouncer is not installed (apt-get install pgbouncer)"
    : !existsSync(`${PG_BIN}/initdb`)
      ? `no ${PG_BIN}/initdb`
      : undefined;

const isRoot = process.getuid?.() === 0;
const idOf = (flag: string) => Number(execFileSync("id", [flag, "postgres"]).toString().trim());
const postgresUser = isRoot ? { uid: idOf("-u"), gid: idOf("-g") } : undefined;

/** A temp dir the server's user owns. */
function serverDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o700);
  if (postgresUser) chownSync(dir, postgresUser.uid, postgresUser.gid);
  return dir;
}

function write(path: string, text: string): void {
  writeFileSync(path, text);
  if (postgresUser) chownSync(path, postgresUser.uid, postgresUser.gid);
}

/** Runs a command as the server user (runuser when root), synchronously. */
function runAs(command: string, args: string[]): string {
  const [file, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  return execFileSync(file, argv, { stdio: ["ignore", "pipe", "pipe"] }).toString();
}

async function runAsAsync(command: string, args: string[]): Promise<void> {
  const [file, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  await new Promise<void>((resolve, reject) => execFile(file, argv, (error) => (error ? reject(error) : resolve())));
}

function spawnAs(command: string, args: string[]): ChildProcess {
  const [file, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  return spawn(file, argv, { stdio: "ignore" });
}

/** A free TCP port on 127.0.0.1 (the OS picks; released at once for the server to take). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const cleanups = new Set<() => void>();
process.once("exit", () => {
  for (const cleanup of cleanups) cleanup();
});

export interface PgBouncer {
  port: number;
  /** postgres:// URL of database `sk` through the bouncer. */
  url: string;
  close(): Promise<void>;
}

/**
 * PgBouncer in transaction mode in front of `upstream` (host:port, database `test`), with
 * `search_path` set on every server connection (PgBouncer forwards no such startup parameter).
 */
export async function startPgBouncer(options: { upstreamPort: number; schema: string; poolSize?: number }): Promise<PgBouncer> {
  if (!PGBOUNCER) throw new Error("pgbouncer is not installed");
  const dir = serverDir("sk-pgbouncer-");
  const port = await freePort();
  write(join(dir, "users.txt"), '"postgres" ""\n');
  write(
    join(dir, "pgbouncer.ini"),
    `[databases]
sk = host=127.0.0.1 port=${options.upstreamPort} dbname=test user=postgres connect_query='SET search_path TO ${options.schema}'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, "users.txt")}
admin_users = postgres
pool_mode = transaction
default_pool_size = ${options.poolSize ?? 3}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = ${join(dir, "pgbouncer.log")}
pidfile = ${join(dir, "pgbouncer.pid")}
`,
  );
  const child = spawnAs(PGBOUNCER, [join(dir, "pgbouncer.ini")]);
  const kill = () => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(kill);
  await waitForPort(port, 10_000, "pgbouncer");
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/sk`,
    async close() {
      cleanups.delete(kill);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      kill();
    },
  };
}

export interface Cluster {
  port: number;
  dir: string;
  url: string;
  /** pg_ctl stop -m immediate: a crash, no shutdown checkpoint. */
  kill(): Promise<void>;
  /** pg_ctl promote (a standby becomes a primary); resolves once it accepts writes. */
  promote(): Promise<void>;
  close(): void;
}

function pgCtl(args: string[]): string {
  return runAs(`${PG_BIN}/pg_ctl`, args);
}

function startCluster(dir: string, port: number): Cluster {
  pgCtl(["-D", dir, "-l", join(dir, "server.log"), "-w", "-t", "30", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, "start"]);
  let stopped = false;
  const stop = (mode: string) => {
    if (stopped) return;
    stopped = true;
    try {
      pgCtl(["-D", dir, "-m", mode, "-w", "-t", "10", "stop"]);
    } catch {
      // already down
    }
  };
  const cleanup = () => {
    stop("immediate");
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(cleanup);
  return {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    // Asynchronous, so traffic in the same process keeps running while the servers switch.
    kill: async () => {
      stopped = true;
      await runAsAsync(`${PG_BIN}/pg_ctl`, ["-D", dir, "-m", "immediate", "-w", "-t", "10", "stop"]);
    },
    promote: () => runAsAsync(`${PG_BIN}/pg_ctl`, ["-D", dir, "-w", "-t", "30", "promote"]),
    close() {
      cleanups.delete(cleanup);
      cleanup();
    },
  };
}

/** A fresh primary (initdb, trust auth, wal_level replica). `synchronous`: names the standby it waits for. */
export async function startPrimary(options: { synchronousStandby?: string } = {}): Promise<Cluster> {
  const dir = serverDir("sk-primary-");
  runAs(`${PG_BIN}/initdb`, ["-D", dir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  write(
    join(dir, "postgresql.auto.conf"),
    [
      "wal_level = replica",
      "max_wal_senders = 5",
      "fsync = off",
      "shared_buffers = 32MB",
      "max_connections = 60",
      options.synchronousStandby ? `synchronous_standby_names = '${options.synchronousStandby}'` : "",
      "",
    ].join("\n"),
  );
  write(join(dir, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n");
  return startCluster(dir, await freePort());
}

/** A streaming standby of `primary` (pg_basebackup -R), named `name` for synchronous replication. */
export async function startStandby(primary: Cluster, name: string): Promise<Cluster> {
  const dir = serverDir("sk-standby-");
  rmSync(dir, { recursive: true, force: true });
  runAs(`${PG_BIN}/pg_basebackup`, ["-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", dir, "-R", "-X", "stream"]);
  if (postgresUser) chownSync(dir, postgresUser.uid, postgresUser.gid);
  chmodSync(dir, 0o700);
  // -R wrote standby.signal and a primary_conninfo; a later line wins: ours names the standby
  // for synchronous_standby_names. Once promoted it must not wait for a standby of its own.
  write(
    join(dir, "postgresql.auto.conf"),
    `${runAs("cat", [join(dir, "postgresql.auto.conf")])}\nprimary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}'\nsynchronous_standby_names = ''\n`,
  );
  return startCluster(dir, await freePort());
}

export interface OwnCluster {
  port: number;
  dir: string;
  /** postgres:// URL of its `postgres` database. */
  url: string;
  /** The settings it runs with now. */
  settings: Record<string, string>;
  /** A clean restart (pg_ctl -m fast) with other settings, same data and port. */
  restart(settings: Record<string, string>): void;
  /** Stops it (a clean shutdown); removes its directory unless it is kept. */
  close(): void;
}

const settingsFile = (settings: Record<string, string>) =>
  `${Object.entries(settings)
    .map(([name, value]) => `${name} = '${value}'`)
    .join("\n")}\n`;

/**
 * A cluster of its own for a benchmark: initdb into `dir` unless it already holds one (a kept
 * cluster is reused with its data), started with `settings` on a free port. `keep`: its
 * directory survives `close()` for a later run.
 */
export async function startOwnCluster(dir: string, settings: Record<string, string>, keep: boolean): Promise<OwnCluster> {
  if (!existsSync(join(dir, "PG_VERSION"))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (postgresUser) chownSync(dir, postgresUser.uid, postgresUser.gid);
    runAs(`${PG_BIN}/initdb`, ["-D", dir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]);
    write(join(dir, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
  }
  write(join(dir, "postgresql.auto.conf"), settingsFile(settings));
  const port = await freePort();
  pgCtl(["-D", dir, "-l", join(dir, "server.log"), "-w", "-t", "300", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, "start"]);
  let running = true;
  const stop = () => {
    if (!running) return;
    running = false;
    try {
      pgCtl(["-D", dir, "-m", "fast", "-w", "-t", "300", "stop"]);
    } catch {
      // already down
    }
  };
  const cleanup = () => {
    stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(cleanup);
  const cluster: OwnCluster = {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    settings,
    restart(next) {
      write(join(dir, "postgresql.auto.conf"), settingsFile(next));
      // restart keeps the port and socket options of the start (postmaster.opts).
      pgCtl(["-D", dir, "-l", join(dir, "server.log"), "-m", "fast", "-w", "-t", "300", "restart"]);
      cluster.settings = next;
    },
    close() {
      cleanups.delete(cleanup);
      cleanup();
    },
  };
  return cluster;
}
