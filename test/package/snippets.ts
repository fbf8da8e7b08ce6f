// Type-checks the ```ts blocks of markdown files as a user's code: each block is its own ES module
// importing `sessionkit…` (mapped to src), with the free names a guide leaves to the reader
// (`db`, `request`, …) declared for it. Returns TypeScript's complaints, by block.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { repoRoot } from "../../scripts/pack.js";
import { ENTRY_POINTS } from "./exports.js";

/** Names a guide's snippet may use without defining them, and what they stand for. */
const FREE_NAMES: Record<string, string> = {
  db: `declare const db: import("sessionkit/drizzle").AnyPgDatabase;`,
  sessions: `declare const sessions: import("sessionkit").Sessions;`,
  session: `declare const session: import("sessionkit").Session;`,
  request: `declare const request: Request;`,
  responseHeaders: `declare const responseHeaders: Headers;`,
  userId: `declare const userId: string;`,
  handle: `declare const handle: string;`,
  item: `declare const item: string;`,
  yourApp: `declare function yourApp(request: Request): Promise<Response>;`,
  app: `declare const app: import("express").Express;`,
  createSessions: `import { createSessions } from "sessionkit";`,
  isSessionError: `import { isSessionError } from "sessionkit";`,
  drizzleStore: `import { drizzleStore } from "sessionkit/drizzle";`,
  migrate: `import { migrate } from "sessionkit/drizzle";`,
};

export interface Snippet {
  file: string;
  /** 1-based number of the ```ts block in the file. */
  block: number;
  line: number;
  code: string;
}

export function tsBlocks(file: string): Snippet[] {
  const lines = readFileSync(join(repoRoot, file), "utf8").split("\n");
  const blocks: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== "```ts") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== "```") end++;
    blocks.push({ file, block: blocks.length + 1, line: start + 1, code: lines.slice(start, end).join("\n") });
    i = end;
  }
  return blocks;
}

/** True when the snippet binds `name` itself (declaration or import). */
function binds(code: string, name: string): boolean {
  return (
    new RegExp(`\\b(?:const|let|var|function|class|interface|type)\\s+${name}\\b`).test(code) ||
    new RegExp(`import\\s[^;]*\\b${name}\\b[^;]*\\sfrom\\s`).test(code)
  );
}

function prelude(code: string): string {
  return Object.entries(FREE_NAMES)
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code) && !binds(code, name))
    .map(([, declaration]) => declaration)
    .join("\n");
}

/** TypeScript's errors for each snippet ("file#block:line: message"), none when all compile. */
export function typeCheck(snippets: Snippet[]): string[] {
  const virtual = new Map<string, { snippet: Snippet; offset: number }>();
  const texts = new Map<string, string>();
  for (const snippet of snippets) {
    const path = join(repoRoot, "test/package/__snippets__", `${snippet.file.replace(/\W/g, "_")}_${snippet.block}.mts`);
    const head = `${prelude(snippet.code)}\n`;
    texts.set(path, `${head}${snippet.code}\nexport {};\n`);
    virtual.set(path, { snippet, offset: head.split("\n").length - 1 });
  }
  const paths = Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, file]) => [name, [join(repoRoot, file)]]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
    types: ["node"],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    paths,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => texts.has(name) || fileExists.call(host, name);
  host.readFile = (name) => texts.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = texts.get(name);
    return text === undefined ? getSourceFile.call(host, name, language, ...rest) : ts.createSourceFile(name, text, language, true);
  };
  const program = ts.createProgram([...texts.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && virtual.has(d.file.fileName))
    .map((d) => {
      const { snippet, offset } = virtual.get(d.file?.fileName ?? "") as { snippet: Snippet; offset: number };
      const { line } = d.file?.getLineAndCharacterOfPosition(d.start ?? 0) ?? { line: 0 };
      const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
      return `${snippet.file}#${snippet.block} (line ${snippet.line + line - offset}): ${message}`;
    });
}
