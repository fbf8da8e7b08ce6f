// The README and the guides hold up: their TypeScript blocks compile against the real API (as a
// user's ES modules importing `sessionkit…`), and every relative link and anchor resolves.
// (docs/trpc.md and docs/graphql.md run their full examples in test/trpc and test/graphql.)

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/pack.js";
import { tsBlocks, typeCheck } from "./snippets.js";

/** Guides whose every ```ts block must compile. */
const CHECKED = [
  "README.md",
  "docs/getting-started.md",
  "docs/postgres.md",
  "docs/scaling.md",
  "docs/migrating.md",
  "docs/observability.md",
  "docs/troubleshooting.md",
  "docs/header-mode.md",
];

/** Blocks that are not a user's module, with the reason. */
const NOT_MODULES: Record<string, string> = {
  "docs/postgres.md#2": "re-exports the reader's own schema file (`./your-tables`)",
  "docs/header-mode.md#3": "imports the reader's router type and React Native's AsyncStorage (block 2, checked, is the store)",
};

/** The repository of package.json; shipped markdown links to files there, as the npm page needs. */
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  repository?: { url?: string };
  homepage?: string;
  bugs?: { url?: string };
  files: string[];
};
const REPO = (pkg.repository?.url ?? "").replace(/^git\+/, "").replace(/\.git$/, "");
const REPO_PATH = new URL(REPO || "https://invalid/").pathname;
/** Where an absolute link into the repository (a blob page or a raw file on main) points locally. */
function repositoryFile(target: string): string | undefined {
  for (const prefix of [`${REPO}/blob/main/`, `https://raw.githubusercontent.com${REPO_PATH}/main/`]) {
    if (target.startsWith(prefix)) return target.slice(prefix.length);
  }
  return undefined;
}
/** Markdown files in the tarball: what the npm page and node_modules show. */
const SHIPPED = pkg.files.filter((f) => f.endsWith(".md"));

const MARKDOWN = ["README.md", "CHANGELOG.md", ...readdirSync(join(repoRoot, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(repoRoot, file), "utf8").replace(/```[\s\S]*?```/g, "");
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(match[1] ?? "");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

describe("the guides' code", () => {
  it("compiles as a user's modules against the real API", () => {
    const blocks = CHECKED.filter((f) => existsSync(join(repoRoot, f)))
      .flatMap(tsBlocks)
      .filter((b) => !NOT_MODULES[`${b.file}#${b.block}`]);
    expect(blocks.length).toBeGreaterThan(10);
    expect(typeCheck(blocks)).toEqual([]);
  }, 60_000);
});

describe("links", () => {
  it.each(MARKDOWN)("in %s resolve to files and headings that exist", (file) => {
    const text = readFileSync(join(repoRoot, file), "utf8").replace(/```[\s\S]*?```/g, "");
    const broken: string[] = [];
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? "";
      const inRepository = repositoryFile(target);
      if (inRepository === undefined && /^[a-z]+:/i.test(target)) continue; // other sites, mailto
      const [path = "", anchor] = (inRepository ?? target).split("#");
      const resolved = inRepository !== undefined ? path : path ? relative(repoRoot, join(repoRoot, dirname(file), path)) : file;
      if (!existsSync(join(repoRoot, resolved))) broken.push(`${target} (no ${resolved})`);
      else if (anchor && resolved.endsWith(".md") && !anchorsOf(resolved).has(anchor)) broken.push(`${target} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });
});

describe("the README", () => {
  it("links every guide in docs/, absolutely", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8").replace(/```[\s\S]*?```/g, "");
    const linked = new Set([...readme.matchAll(/\]\(([^)\s#]+)/g)].map((m) => repositoryFile(m[1] ?? "")));
    const guides = readdirSync(join(repoRoot, "docs")).filter((f) => f.endsWith(".md"));
    expect(guides.length).toBeGreaterThan(10);
    expect(guides.filter((f) => !linked.has(`docs/${f}`))).toEqual([]);
  });
});

describe("the package on its own (npm page, node_modules)", () => {
  it("names its repository, homepage and issue tracker", () => {
    expect(REPO).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(pkg.homepage).toBe(`${REPO}#readme`);
    expect(pkg.bugs?.url).toBe(`${REPO}/issues`);
  });

  it.each(SHIPPED)("%s links only absolutely (docs/ is not in the tarball)", (file) => {
    const text = readFileSync(join(repoRoot, file), "utf8").replace(/```[\s\S]*?```/g, "");
    const relativeLinks = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1] ?? "")
      .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith("#"));
    expect(relativeLinks).toEqual([]);
  });
});
