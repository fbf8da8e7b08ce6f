// Bench servers as child processes: started with tsx, ready when they report their port over
// IPC, and always stopped, on success, failure or Ctrl-C (they also exit when we disappear).

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface Child {
  name: string;
  url: string;
  process: ChildProcess;
}

const running = new Set<ChildProcess>();
let profileDir: string | undefined;

const TASKSET = "/usr/bin/taskset";
/** The core bench servers are started on, once `pinSides()` pinned this process to core 0. */
let serverCore: number | undefined;

/**
 * Pins the load generator (this process, autocannon's event loop) to core 0 and the bench servers
 * started from now on to core 1, so the two sides of a ratio no longer fight over one core.
 * Only on Linux with 2+ cores and /usr/bin/taskset; BENCH_PIN=0 switches it off. Postgres and the
 * non-server children (memory run) are not pinned. Returns the line the bench prints.
 */
export function pinSides(): string {
  if (process.env.BENCH_PIN === "0") return "pinning: off (BENCH_PIN=0)";
  if (process.platform !== "linux" || os.availableParallelism() < 2 || !existsSync(TASKSET))
    return "pinning: off (needs Linux, 2+ cores and /usr/bin/taskset)";
  try {
    execFileSync(TASKSET, ["-pc", "0", String(process.pid)], { stdio: "ignore" });
  } catch (error) {
    return `pinning: off (taskset failed: ${String(error)})`;
  }
  serverCore = 1;
  return "pinning: load generator (this process) on core 0, bench servers on core 1 (taskset; BENCH_PIN=0 to switch off)";
}

/** Children started from now on write a CPU profile into `dir` when they exit. */
export function profileChildrenInto(dir: string): void {
  profileDir = dir;
}

/** Starts `bench/servers/<file>` (of the checkout at `root`, this one by default) with extra environment; resolves once it listens. */
export async function startServer(name: string, file: string, env: Record<string, string>, root = repoRoot): Promise<Child> {
  // One directory per server: the tsx loader thread writes a profile of its own next to the main thread's.
  const flags = profileDir ? ["--cpu-prof", "--cpu-prof-dir", `${profileDir}/${name}`] : [];
  const argv = [process.execPath, ...flags, "--import", "tsx", `bench/servers/${file}`];
  // taskset execs node in place: same pid, so signals, IPC and cpuOf() reach the server itself.
  const [command, ...rest] = serverCore === undefined ? argv : [TASKSET, "-c", String(serverCore), ...argv];
  const child = spawn(command as string, rest, {
    cwd: root,
    env: { ...process.env, ...env, NODE_ENV: "production" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    // Several servers start at once (the peers suite: six); on a loaded machine tsx alone takes tens of seconds.
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 180 s`)), 180_000);
    child.once("message", (message: { type?: string; port?: number }) => {
      clearTimeout(timer);
      if (message?.type === "ready" && typeof message.port === "number") resolve(message.port);
      else reject(new Error(`${name} sent an unexpected first message`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
  return { name, url: `http://127.0.0.1:${port}`, process: child };
}

let cpuRequests = 0;

/** The CPU time (user + system, µs, all threads) a server child has used so far. */
export function cpuOf(child: Child): Promise<number> {
  const id = ++cpuRequests;
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string; id?: number; micros?: number }) => {
      if (message?.type !== "cpu" || message.id !== id) return;
      child.process.off("message", onMessage);
      resolve(message.micros ?? 0);
    };
    child.process.on("message", onMessage);
    if (!child.process.send({ type: "cpu", id })) reject(new Error(`${child.name}: IPC closed`));
  });
}

/** Stops children (all by default), politely first, then SIGKILL after a deadline. */
export async function stopServers(children?: Iterable<ChildProcess>): Promise<void> {
  const list = [...(children ?? running)].filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    list.map(
      (child) =>
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
          child.once("exit", () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
}

/** Last resort on process exit: synchronous, so only signals. */
export function killServersNow(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** Runs a non-server child (`bench/<file>`) to its first IPC message, then lets it exit. */
export async function runToMessage<T>(name: string, file: string, env: Record<string, string>, nodeFlags: string[] = []): Promise<T> {
  const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", `bench/${file}`], {
    cwd: repoRoot,
    env: { ...process.env, ...env, NODE_ENV: "production" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return new Promise<T>((resolve, reject) => {
    child.once("message", (message) => resolve(message as T));
    child.once("exit", (code, signal) => reject(new Error(`${name} exited without a result (code ${code}, signal ${signal})`)));
  });
}
