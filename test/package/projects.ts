// Fresh consumer projects for the packed package: a folder under os.tmpdir() with a package.json
// that depends on the tarball and on the public packages a user of one framework installs, set
// up with `npm ci` on a lock cut from the repository's (./lockfile.ts), compiled with the
// project's own TypeScript. The installed node_modules are cached per tarball and dependency list.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { packTarball, repoRoot } from "../../scripts/pack.js";
import { consumerLock, lockedVersion } from "./lockfile.js";

const run = promisify(execFile);
const FIXTURES = join(repoRoot, "test/package/consumer");
const CACHE = join(os.tmpdir(), "sessionkit-consumer");

/** The packages every consumer installs besides sessionkit: a driver of each kind and TypeScript. */
const COMMON = ["drizzle-orm", "postgres", "@electric-sql/pglite", "typescript", "@types/node"];

export const FRAMEWORKS = {
  trpc: ["@trpc/server", "@trpc/client"],
  graphql: ["graphql", "graphql-yoga", "@graphql-tools/utils"],
} as const;

export type Framework = keyof typeof FRAMEWORKS;

export interface Project {
  dir: string;
  /** Runs `node dist/<file>.js` in the project and returns the last line it printed, parsed as JSON. */
  runScript(file: string, args: string[], env?: Record<string, string>): Promise<unknown>;
  /** Starts `node dist/<framework>-server.js`; resolves with its URL once it listens. */
  startServer(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }>;
  /** True when `node_modules/<name>` exists in the project. */
  has(name: string): boolean;
  /** Stops the servers still running and removes this run's folder (the installed cache stays). */
  dispose(): Promise<void>;
}

async function install(dir: string, tarball: string, dependencies: Record<string, string>): Promise<void> {
  const ready = join(dir, ".installed");
  if (existsSync(ready)) return;
  const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    const pkg = { name: "consumer", private: true, type: "module", dependencies: { sessionkit: `file:${tarball}`, ...dependencies } };
    writeFileSync(join(staging, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
    const lock = consumerLock(repoRoot, staging, tarball, dependencies);
    writeFileSync(join(staging, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
    // `npm ci` on that lock fetches tarballs only, from the npm cache where the repository's own
    // install left them; the registry is asked only for what the cache lacks.
    await run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: staging,
      maxBuffer: 16 * 1024 * 1024,
      // The repository's own npm settings (CI variables, a workspace root) must not leak in.
      env: { ...process.env, npm_config_workspace: "", npm_config_workspaces: "" },
    });
    writeFileSync(join(staging, ".installed"), new Date().toISOString());
    try {
      renameSync(staging, dir);
    } catch (error) {
      if (!existsSync(ready)) throw error; // another run installed the same project first
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Removes installed projects (and leftovers of interrupted installs) unused for a day. */
function pruneOld(): void {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    const used = join(path, ".used");
    if (statSync(existsSync(used) ? used : path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * A consumer project of one framework, installed from the packed tarball and compiled. Its
 * sources are test/package/consumer/<framework>-*.ts and the shared db.ts.
 */
export async function consumerProject(framework: Framework): Promise<Project> {
  const { tarball, hash } = await packTarball();
  const dependencies = Object.fromEntries([...COMMON, ...FRAMEWORKS[framework]].map((name) => [name, lockedVersion(repoRoot, name)]));
  const key = createHash("sha256").update(hash).update(JSON.stringify(dependencies)).update(process.version).digest("hex").slice(0, 16);
  mkdirSync(CACHE, { recursive: true });
  pruneOld();
  const dir = join(CACHE, `${framework}-${key}`);
  await install(dir, tarball, dependencies);
  writeFileSync(join(dir, ".used"), String(Date.now()));

  // Each run works in a folder of its own (other runs may be using the cache at the same time):
  // fresh sources and build, the cached node_modules linked in.
  const work = `${dir}-run-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(join(work, "src"), { recursive: true });
  symlinkSync(join(dir, "node_modules"), join(work, "node_modules"), "dir");
  cpSync(join(dir, "package.json"), join(work, "package.json"));
  for (const file of readdirSync(FIXTURES)) {
    if (file === "db.ts" || file.startsWith(`${framework}-`)) cpSync(join(FIXTURES, file), join(work, "src", file));
  }
  const tsconfig = JSON.parse(readFileSync(join(FIXTURES, "tsconfig.json"), "utf8")) as { include: string[] };
  writeFileSync(join(work, "tsconfig.json"), JSON.stringify({ ...tsconfig, include: ["src"] }, null, 2));
  await run(process.execPath, [join(work, "node_modules/typescript/bin/tsc"), "-p", work], { cwd: work }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`the ${framework} consumer does not compile against the packed types:\n${error.stdout}${error.stderr}`);
    },
  );

  const children = new Set<ChildProcess>();
  return {
    dir: work,
    has: (name) => existsSync(join(work, "node_modules", name)),
    async dispose() {
      for (const child of children) child.kill("SIGKILL");
      rmSync(work, { recursive: true, force: true });
    },
    async runScript(file, args, env = {}) {
      const { stdout } = await run(process.execPath, [join(work, "dist", `${file}.js`), ...args], {
        cwd: work,
        env: { ...process.env, ...env },
      });
      return JSON.parse(stdout.trim().split("\n").at(-1) ?? "null");
    },
    startServer(env) {
      const child = spawn(process.execPath, [join(work, "dist", `${framework}-server.js`)], {
        cwd: work,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
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
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(timer);
        }
        children.delete(child);
      };
      return new Promise((resolve, reject) => {
        const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
        lines.once("line", (line) => {
          const { url } = JSON.parse(line) as { url: string };
          resolve({ url, stop });
        });
        child.once("exit", (code) => reject(new Error(`the ${framework} server exited (${code}) before listening:\n${stderr}`)));
      });
    },
  };
}
