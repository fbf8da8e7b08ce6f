// Fresh consumer projects for the packed package: a folder under os.tmpdir() with a package.json
// that depends on the tarball and on the public packages a user of one framework installs, set
// up with `npm ci` on a lock cut from the repository's (./lockfile.ts), compiled with the
// project's own TypeScript. The installed node_modules are cached per tarball and dependency list.

import { execFile } from "node:child_process";
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
import { promisify } from "node:util";
import { cacheRoot, inputsHash, packTarball, repoRoot } from "../../scripts/pack.js";
import { type Started, startServer as startChild } from "../runtimes/spawn.js";
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

/** What the Next.js example (examples/next) installs besides COMMON. */
const NEXT_PACKAGES = ["next", "react", "react-dom", "@types/react", "@types/react-dom", "@trpc/server", "@trpc/client", "zod"];

export type Framework = keyof typeof FRAMEWORKS;

/** The Postgres driver of a project besides COMMON's postgres.js and PGlite. */
const DRIVERS = {
  postgres: [],
  "node-postgres": ["pg", "@types/pg"],
} as const;

export type Driver = keyof typeof DRIVERS;

export interface Project {
  dir: string;
  /** Runs `node dist/<file>.js` in the project and returns the last line it printed, parsed as JSON. */
  runScript(file: string, args: string[], env?: Record<string, string>): Promise<unknown>;
  /** Starts `node [nodeArgs] dist/<framework>-server.js`; resolves once it printed its URL. */
  startServer(env: Record<string, string>, nodeArgs?: string[]): Promise<Started>;
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
let packing: Promise<{ tarball: string; hash: string }> | undefined;

/** Whether the process that wrote `<dir>/pid` is still running (a killed run leaves its claim behind). */
function claimAlive(dir: string): boolean {
  try {
    process.kill(Number(readFileSync(join(dir, "pid"), "utf8")), 0);
    return true;
  } catch (error) {
    // EPERM: alive under another user. No pid file yet: the claimer is between mkdir and write.
    const code = (error as NodeJS.ErrnoException).code;
    return code === "EPERM" || (code === "ENOENT" && existsSync(dir) && Date.now() - statSync(dir).mtimeMs < 5_000);
  }
}

/**
 * packTarball() once per process, and once across the test files of a run: the first caller
 * claims `<cacheRoot>/.claim-<hash>` (mkdir, with its pid) and packs; the others wait for it to
 * finish instead of building the same tarball in parallel (a pack is a full tsc build). A claim
 * whose process is gone is taken over.
 */
function sharedTarball(): Promise<{ tarball: string; hash: string }> {
  packing ??= (async () => {
    const claim = join(cacheRoot, `.claim-${inputsHash()}`);
    mkdirSync(cacheRoot, { recursive: true });
    for (let waited = 0; ; waited += 250) {
      try {
        mkdirSync(claim);
        writeFileSync(join(claim, "pid"), String(process.pid));
        break;
      } catch {
        if (!claimAlive(claim) || waited > 10 * 60_000) rmSync(claim, { recursive: true, force: true });
        else await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    try {
      return await packTarball();
    } finally {
      rmSync(claim, { recursive: true, force: true });
    }
  })();
  packing.catch(() => {
    packing = undefined;
  });
  return packing;
}

/** The installed node_modules (cached) of a project on the tarball and these packages. */
async function installed(label: string, packages: readonly string[]): Promise<{ dir: string; hash: string }> {
  const { tarball, hash } = await sharedTarball();
  const dependencies = Object.fromEntries(packages.map((name) => [name, lockedVersion(repoRoot, name)]));
  const key = createHash("sha256").update(hash).update(JSON.stringify(dependencies)).update(process.version).digest("hex").slice(0, 16);
  mkdirSync(CACHE, { recursive: true });
  pruneOld();
  const dir = join(CACHE, `${label}-${key}`);
  await install(dir, tarball, dependencies);
  writeFileSync(join(dir, ".used"), String(Date.now()));
  return { dir, hash: key };
}

export async function consumerProject(framework: Framework, options: { driver?: Driver } = {}): Promise<Project> {
  const driver = options.driver ?? "postgres";
  const label = driver === "postgres" ? framework : `${framework}-${driver}`;
  const { dir } = await installed(label, [...COMMON, ...FRAMEWORKS[framework], ...DRIVERS[driver]]);

  // Each run works in a folder of its own (other runs may be using the cache at the same time):
  // fresh sources and build, the cached node_modules linked in.
  const work = `${dir}-run-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(join(work, "src"), { recursive: true });
  symlinkSync(join(dir, "node_modules"), join(work, "node_modules"), "dir");
  cpSync(join(dir, "package.json"), join(work, "package.json"));
  // The database module: db.ts (postgres.js or PGlite), or <driver>-db.ts in its place.
  const dbFile = driver === "postgres" ? "db.ts" : `${driver}-db.ts`;
  cpSync(join(FIXTURES, dbFile), join(work, "src", "db.ts"));
  for (const file of readdirSync(FIXTURES)) {
    if (file.startsWith(`${framework}-`)) cpSync(join(FIXTURES, file), join(work, "src", file));
  }
  const tsconfig = JSON.parse(readFileSync(join(FIXTURES, "tsconfig.json"), "utf8")) as { include: string[] };
  writeFileSync(join(work, "tsconfig.json"), JSON.stringify({ ...tsconfig, include: ["src"] }, null, 2));
  await run(process.execPath, [join(work, "node_modules/typescript/bin/tsc"), "-p", work], { cwd: work }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`the ${label} consumer does not compile against the packed types:\n${error.stdout}${error.stderr}`);
    },
  );

  const servers = new Set<Started>();
  return {
    dir: work,
    has: (name) => existsSync(join(work, "node_modules", name)),
    async dispose() {
      await Promise.all([...servers].map((server) => server.stop()));
      rmSync(work, { recursive: true, force: true });
    },
    async runScript(file, args, env = {}) {
      const { stdout } = await run(process.execPath, [join(work, "dist", `${file}.js`), ...args], {
        cwd: work,
        env: { ...process.env, ...env },
        // A script that never lets go of its event loop (an open pool, a listener) fails the test instead of hanging it.
        timeout: 30_000,
        killSignal: "SIGKILL",
      });
      return JSON.parse(stdout.trim().split("\n").at(-1) ?? "null");
    },
    async startServer(env, nodeArgs = []) {
      const server = await startChild(process.execPath, [...nodeArgs, join(work, "dist", `${framework}-server.js`)], { cwd: work, env });
      servers.add(server);
      return server;
    },
  };
}

export interface NextProject {
  /** The built app (examples/next with `.next`), its node_modules linked from the cache. */
  dir: string;
  /** How long `next build` took in this run (0 when a build of the same inputs was reused). */
  buildMs: number;
  /** The `next` command line: `node node_modules/next/dist/bin/next`. */
  next: [string, string[]];
}

/** Every file of a folder, recursively, relative to it. */
function filesOf(root: string, at = ""): string[] {
  return readdirSync(join(root, at), { withFileTypes: true }).flatMap((entry) => {
    const path = at ? `${at}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesOf(root, path) : [path];
  });
}

/**
 * The Next.js example as a user's project: examples/next on the packed tarball, built with
 * `next build` (which also type-checks it against the packed types). The build is cached by
 * tarball, packages and sources, so the test files of one run (and reruns) build once.
 */
export async function nextProject(): Promise<NextProject> {
  const { dir, hash } = await installed("next", [...COMMON, ...NEXT_PACKAGES]);
  const source = join(repoRoot, "examples/next");
  const files = filesOf(source).filter((f) => !f.startsWith(".next/") && !f.startsWith("node_modules/") && f !== "next-env.d.ts");
  const sources = createHash("sha256").update(hash);
  for (const file of files.sort())
    sources
      .update(file)
      .update("\0")
      .update(readFileSync(join(source, file)))
      .update("\0");
  const build = `${dir}-build-${sources.digest("hex").slice(0, 12)}`;
  const next: [string, string[]] = [process.execPath, [join(build, "node_modules/next/dist/bin/next")]];
  const ready = join(build, ".next/BUILD_ID");
  if (existsSync(ready)) return { dir: build, buildMs: 0, next };
  // Next writes absolute paths into .next and Turbopack compiles nothing outside the project
  // root (a symlinked node_modules is outside): build in place, in a folder with node_modules
  // hard-linked in, claimed with mkdir so parallel test files build once.
  const building = join(build, ".building");
  if (existsSync(building) && Date.now() - statSync(building).mtimeMs > 10 * 60_000) rmSync(build, { recursive: true, force: true });
  try {
    mkdirSync(build);
  } catch {
    for (let waited = 0; !existsSync(ready); waited += 500) {
      if (waited > 10 * 60_000) throw new Error(`another run's next build in ${build} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return { dir: build, buildMs: 0, next };
  }
  try {
    writeFileSync(building, String(process.pid));
    for (const file of files) cpSync(join(source, file), join(build, file));
    await run("cp", ["-al", join(dir, "node_modules"), join(build, "node_modules")]);
    cpSync(join(dir, "package.json"), join(build, "package.json"));
    const started = Date.now();
    await run(process.execPath, [join(build, "node_modules/next/dist/bin/next"), "build"], {
      cwd: build,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
    }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`next build of examples/next failed:\n${error.stdout}${error.stderr}`);
    });
    rmSync(building);
    return { dir: build, buildMs: Date.now() - started, next };
  } catch (error) {
    rmSync(build, { recursive: true, force: true });
    throw error;
  }
}
