// A package-lock.json for a consumer project, cut from the repository's own lock: the part of
// its tree that the consumer's dependencies reach, plus the tarball. With it `npm ci` needs only
// tarballs, which the repository's `npm ci` has already put in the npm cache: no registry
// metadata, so a fresh CI machine with a slow registry installs the consumer offline.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

interface Lock {
  packages: Record<string, LockEntry>;
}

/** The folder that holds the `node_modules` a package at `path` sits in ("" for the root). */
function parentOf(path: string): string {
  const at = path.lastIndexOf("/node_modules/");
  return at === -1 ? "" : path.slice(0, at);
}

/** Node's lookup: `<path>/node_modules/<name>`, then each enclosing folder's, up to the root. */
function resolveIn(packages: Lock["packages"], from: string, name: string): string | undefined {
  for (let at = from; ; at = parentOf(at)) {
    const candidate = `${at ? `${at}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (at === "") return undefined;
  }
}

/** What a package needs installed: its dependencies and its non-optional peers. */
function needs(entry: LockEntry): string[] {
  const peers = Object.keys(entry.peerDependencies ?? {}).filter((name) => !entry.peerDependenciesMeta?.[name]?.optional);
  return [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers];
}

/** The version the repository's lock installs at the top level. */
export function lockedVersion(repoRoot: string, name: string): string {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as Lock;
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in the repository's package-lock.json`);
  return version;
}

/**
 * The lock of a project at `projectDir` that depends on the tarball (as `sessionkit`) and on
 * `dependencies` (exact versions present at the top of the repository's lock).
 */
export function consumerLock(repoRoot: string, projectDir: string, tarball: string, dependencies: Record<string, string>): object {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as Lock;
  const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as LockEntry & { name: string; license: string };
  const sessionkit: LockEntry = {
    version: manifest.version,
    resolved: `file:${relative(projectDir, tarball)}`,
    integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
    license: manifest.license,
    dependencies: manifest.dependencies,
    engines: manifest.engines,
    peerDependencies: manifest.peerDependencies,
    peerDependenciesMeta: manifest.peerDependenciesMeta,
  };
  const packages: Record<string, LockEntry> = { "node_modules/sessionkit": sessionkit };
  const queue: [string, LockEntry][] = [["node_modules/sessionkit", sessionkit]];
  for (const name of Object.keys(dependencies)) {
    const path = `node_modules/${name}`;
    const entry = lock.packages[path];
    if (!entry || entry.version !== dependencies[name])
      throw new Error(`${name}@${dependencies[name]} is not at the top of package-lock.json`);
    queue.push([path, entry]);
  }
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [path, entry] = next;
    if (path !== "node_modules/sessionkit") {
      if (packages[path]) continue;
      // Development flags of the repository mean nothing here: everything is a dependency.
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...kept } = entry;
      packages[path] = kept;
    }
    for (const name of needs(entry)) {
      const found = resolveIn(lock.packages, path, name);
      const target = found ? lock.packages[found] : undefined;
      if (found && target && !packages[found]) queue.push([found, target]);
    }
  }
  const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    name: "consumer",
    lockfileVersion: 3,
    requires: true,
    packages: { "": { name: "consumer", dependencies: { sessionkit: `file:${tarball}`, ...dependencies } }, ...sorted },
  };
}
