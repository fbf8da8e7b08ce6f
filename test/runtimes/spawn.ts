// Starts a server in a child process (Node, Bun, Deno, a framework's CLI) and waits for the line
// it prints once it listens. Every child is killed when the test file ends, even on a crash.

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface Started {
  url: string;
  /** The first JSON line the child printed (its URL, runtime name…). */
  hello: Record<string, unknown>;
  /** What the child wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the next stdout line that matches (lines printed after the call). */
  nextLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal to the child. */
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/**
 * Spawns `command args` and resolves once it prints a JSON line with `url` (or a line matching
 * `ready`, whose first group is the URL).
 */
export function startServer(
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; ready?: RegExp; url?: string; timeoutMs?: number } = {},
): Promise<Started> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
    children.delete(child);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} did not start within ${options.timeoutMs ?? 60_000} ms:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let stdout = "";
    let ready = false;
    const waiters = new Set<{ pattern: RegExp; resolve(line: string): void }>();
    const nextLine = (pattern: RegExp, timeoutMs = 10_000) =>
      new Promise<string>((resolveLine, rejectLine) => {
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(lineTimer);
            resolveLine(line);
          },
        };
        const lineTimer = setTimeout(() => {
          waiters.delete(waiter);
          rejectLine(new Error(`${command} printed no line matching ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    lines.on("line", (line) => {
      stdout += `${line}\n`;
      let hello: Record<string, unknown> | undefined;
      if (options.ready) {
        const match = options.ready.exec(line);
        if (match) hello = { url: match[1] ?? options.url };
      } else if (line.startsWith("{")) {
        try {
          hello = JSON.parse(line) as Record<string, unknown>;
        } catch {}
      }
      if (!ready && hello && typeof hello.url === "string") {
        ready = true;
        clearTimeout(timer);
        resolve({ url: hello.url, hello, stderr: () => stderr, stop, nextLine, kill: (signal) => child.kill(signal) });
      }
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`${command} exited (${code}) before listening:\n${stdout}${stderr}`));
    });
  });
}
