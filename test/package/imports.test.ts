// The import graph of src: the core imports only jose and itself (no framework, no driver, no
// Node built-in), and each entry point reaches only the packages its users install. Biome's
// noRestrictedImports gives the same core rule in the editor; this is the allowlist behind it.
// (That sessionkit/trpc/client pulls in no server code is test/trpc/client-bundle.test.ts.)

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/pack.js";
import { ENTRY_POINTS } from "./exports.js";

const SRC = join(repoRoot, "src");

/** Every import, export-from and `import("…")` of a file (type-only ones included). */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const toTs = (from: string, specifier: string) => resolve(dirname(from), specifier).replace(/\.js$/, ".ts");
const rel = (file: string) => relative(repoRoot, file);

/** The files an entry reaches through relative imports, and the packages they import. */
function reach(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith(".")) visit(toTs(file, specifier));
      else packages.add(specifier);
    }
  };
  visit(join(repoRoot, entry));
  return { files: [...files].map(rel).sort(), packages: [...packages].sort() };
}

/** The packages each entry point may import: its own peers, nothing of another framework. */
const ALLOWED: Record<string, string[]> = {
  sessionkit: ["jose"],
  // postgres: imported dynamically, only when the database is a postgres.js client (its LISTEN).
  "sessionkit/drizzle": ["drizzle-orm", "drizzle-orm/pg-core", "jose", "postgres"],
  "sessionkit/trpc": ["@trpc/server", "@trpc/server/http", "@trpc/server/observable", "jose"],
  "sessionkit/trpc/client": ["@trpc/client", "@trpc/server", "@trpc/server/observable"],
  "sessionkit/graphql": ["@graphql-tools/utils", "graphql", "graphql-yoga", "jose"],
  // Structural types only: nothing from next.
  "sessionkit/next": ["jose"],
};

describe("the import graph", () => {
  it("keeps src/core to jose and its own files", () => {
    const core = join(SRC, "core");
    const outside = sourceFiles(core).flatMap((file) =>
      importsOf(file)
        .filter((s) => (s.startsWith(".") ? !toTs(file, s).startsWith(`${core}/`) : s !== "jose"))
        .map((s) => `${rel(file)} imports ${s}`),
    );
    expect(outside).toEqual([]);
  });

  it("uses no Node built-in anywhere in the package", () => {
    const builtins = sourceFiles(SRC).flatMap((file) =>
      importsOf(file)
        .filter((s) => s.startsWith("node:") || ["crypto", "fs", "http", "net", "os", "path", "stream", "buffer", "events"].includes(s))
        .map((s) => `${rel(file)} imports ${s}`),
    );
    expect(builtins).toEqual([]);
  });

  it.each(Object.entries(ENTRY_POINTS))("lets %s reach only its own packages", (entry, file) => {
    const { files, packages } = reach(file);
    for (const p of packages) expect(ALLOWED[entry], `${entry} imports ${p}`).toContain(p);
    // An adapter never reaches the other adapter; the core and storage reach no adapter.
    const adapters = files.filter((f) => f.startsWith("src/adapters/")).map((f) => f.split("/")[2]);
    const own = entry.startsWith("sessionkit/trpc")
      ? ["trpc"]
      : entry === "sessionkit/graphql"
        ? ["graphql"]
        : entry === "sessionkit/next"
          ? ["next"]
          : [];
    expect([...new Set(adapters)].filter((a) => !own.includes(a ?? ""))).toEqual([]);
  });

  it("imports only packages the package.json declares", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const packageName = (s: string) =>
      s
        .split("/")
        .slice(0, s.startsWith("@") ? 2 : 1)
        .join("/");
    const undeclared = sourceFiles(SRC).flatMap((file) =>
      importsOf(file)
        .filter((s) => !s.startsWith(".") && !declared.has(packageName(s)))
        .map((s) => `${rel(file)} imports ${s}`),
    );
    expect(undeclared).toEqual([]);
  });
});
