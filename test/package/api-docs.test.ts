// The public API is documented: every export of every entry point has a doc comment, and
// docs/api.md has one heading per export under its entry point, no more and no fewer.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/pack.js";
import { ENTRY_POINTS, type PublicExport, publicExports } from "./exports.js";

let exportsByEntry: Record<string, PublicExport[]>;
beforeAll(() => {
  exportsByEntry = publicExports();
});

/** `## \`entry\`` sections of docs/api.md and the `### \`name\`` headings in each. */
function documentedHeadings(markdown: string): Record<string, string[]> {
  const sections: Record<string, string[]> = {};
  let current: string[] | undefined;
  let inCode = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) inCode = !inCode;
    if (inCode) continue;
    const section = /^## `([^`]+)`\s*$/.exec(line);
    if (section?.[1]) sections[section[1]] = current = [];
    else if (line.startsWith("## ")) current = undefined;
    const heading = /^### `([^`]+)`\s*$/.exec(line);
    if (heading?.[1] && current) current.push(heading[1]);
  }
  return sections;
}

describe("the public API", () => {
  it("has the entry points package.json exports", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { exports: Record<string, unknown> };
    const mapped = Object.entries(pkg.exports)
      .filter(([subpath]) => subpath !== "./package.json")
      .map(([subpath, target]) => {
        const js = (target as { default: string }).default;
        return [subpath === "." ? "sessionkit" : `sessionkit/${subpath.slice(2)}`, js.replace("./dist/", "src/").replace(/\.js$/, ".ts")];
      });
    expect(Object.fromEntries(mapped)).toEqual(ENTRY_POINTS);
  });

  it("gives every export a doc comment", () => {
    const missing = Object.entries(exportsByEntry).flatMap(([entry, list]) =>
      list.filter((e) => e.doc.length === 0).map((e) => `${entry}: ${e.name} (${e.declaredIn})`),
    );
    expect(missing).toEqual([]);
    expect(Object.values(exportsByEntry).flat().length).toBeGreaterThan(40);
  });

  it("lists every export of every entry point in docs/api.md, and nothing else", () => {
    const documented = documentedHeadings(readFileSync(join(repoRoot, "docs/api.md"), "utf8"));
    expect(Object.keys(documented).sort()).toEqual(Object.keys(ENTRY_POINTS).sort());
    for (const [entry, list] of Object.entries(exportsByEntry)) {
      const headings = documented[entry] ?? [];
      expect(new Set(headings).size, `${entry}: a heading appears twice`).toBe(headings.length);
      expect([...headings].sort(), `docs/api.md, section ${entry}`).toEqual(list.map((e) => e.name).sort());
    }
  });
});
