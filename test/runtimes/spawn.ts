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
  options: { env?: Record<string, string | undefined>; cwd?: string; ready?: RegExp; timeoutMs?: number } = {},
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
    lines.on("line", (line) => {
      stdout += `${line}\n`;
      let hello: Record<string, unknown> | undefined;
      if (options.ready) {
        const match = options.ready.exec(line);
        if (match) hello = { url: match[1] };
      } else if (line.startsWith("{")) {
        try {
          hello = JSON.parse(line) as Record<string, unknown>;
        } catch {}
      }
      if (hello && typeof hello.url === "string") {
        clearTimeout(timer);
        lines.removeAllListeners("line");
        resolve({ url: hello.url, hello, stderr: () => stderr, stop });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}) before listening:\n${stdout}${stderr}`));
    });
  });
}
