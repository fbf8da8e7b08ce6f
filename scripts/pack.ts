// Packs sessionkit exactly as `npm pack` does (its `prepack` build included), but in a staging
// copy under os.tmpdir(), so the repository's dist/ is never rebuilt under a running test. The
// tarball is cached by a hash of everything that goes into it. `tsx scripts/pack.ts` prints its path.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync } from "node:fs";
import os from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL("../", import.meta.url));

/** What the build and the tarball are made of, besides the `files` of package.json. */
const BUILD_INPUTS = ["package.json", "tsconfig.json", "tsconfig.build.json"];

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => listFiles(join(path, entry.name)));
}

/** The top-level paths copied into the staging directory: build inputs and `files` minus dist. */
function inputPaths(): string[] {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { files: string[] };
  const wanted = [...BUILD_INPUTS, "src", ...pkg.files.filter((f) => f !== "dist")];
  return [...new Set(wanted)].filter((p) => existsSync(join(repoRoot, p)));
}

/** A hash of every file that goes into the tarball. */
export function inputsHash(): string {
  const hash = createHash("sha256");
  for (const top of inputPaths()) {
    for (const file of listFiles(join(repoRoot, top))) {
      hash.update(relative(repoRoot, file)).update("\0").update(readFileSync(file)).update("\0");
    }
  }
  return hash.digest("hex").slice(0, 16);
}

/** The cache folder of this tool under os.tmpdir() (one subfolder per inputs hash). */
export const cacheRoot = join(os.tmpdir(), "sessionkit-pack");

/** Removes cached tarballs nobody has touched for a day (other hashes only). */
function pruneOld(): void {
  if (!existsSync(cacheRoot)) return;
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(cacheRoot)) {
    const path = join(cacheRoot, name);
    if (statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Builds and packs into `<cacheRoot>/<hash>/sessionkit-<version>.tgz`, or returns the cached
 * tarball when nothing that goes into it changed. Safe to call from several processes at once:
 * each stages privately and the first to finish publishes by rename.
 */
export async function packTarball(): Promise<{ tarball: string; hash: string; dir: string }> {
  const hash = inputsHash();
  pruneOld();
  const dir = join(cacheRoot, hash);
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string; version: string };
  const tarball = join(dir, `${pkg.name}-${pkg.version}.tgz`);
  if (existsSync(tarball)) return { tarball, hash, dir };

  const staging = join(cacheRoot, `.staging-${hash}-${process.pid}-${Date.now()}`);
  mkdirSync(staging, { recursive: true });
  try {
    for (const top of inputPaths()) cpSync(join(repoRoot, top), join(staging, top), { recursive: true });
    symlinkSync(join(repoRoot, "node_modules"), join(staging, "node_modules"), "dir");
    const out = join(staging, "out");
    mkdirSync(out);
    // The real `npm pack`: runs `prepack` (the build) and applies `files`.
    await run("npm", ["pack", "--pack-destination", out, "--silent"], { cwd: staging, maxBuffer: 16 * 1024 * 1024 });
    mkdirSync(cacheRoot, { recursive: true });
    try {
      renameSync(out, dir);
    } catch (error) {
      if (!existsSync(tarball)) throw error; // another process published the same hash first
    }
    return { tarball, hash, dir };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { tarball } = await packTarball();
  console.log(tarball);
}
