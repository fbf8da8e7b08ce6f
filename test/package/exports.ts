// The public surface as TypeScript sees it: every export of every entry point of package.json,
// with the doc comment of its declaration. Read from src (the build maps it 1:1 to dist).

import { join } from "node:path";
import ts from "typescript";
import { repoRoot } from "../../scripts/pack.js";

/** Entry points by import name, as package.json maps them (dist/x.js ← src/x.ts). */
export const ENTRY_POINTS: Record<string, string> = {
  sessionkit: "src/index.ts",
  "sessionkit/drizzle": "src/storage/index.ts",
  "sessionkit/trpc": "src/adapters/trpc/index.ts",
  "sessionkit/trpc/client": "src/adapters/trpc/client.ts",
  "sessionkit/graphql": "src/adapters/graphql/index.ts",
  "sessionkit/next": "src/adapters/next/index.ts",
};

export interface PublicExport {
  name: string;
  /** "value" for anything that exists at run time, "type" for types and interfaces. */
  kind: "value" | "type";
  /** The doc comment of the declaration, without the comment markers ("" when missing). */
  doc: string;
  /** Where it is declared, relative to the repository. */
  declaredIn: string;
}

export function publicExports(): Record<string, PublicExport[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(repoRoot, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error("tsconfig.json does not parse");
  const files = Object.values(ENTRY_POINTS).map((file) => join(repoRoot, file));
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const out: Record<string, PublicExport[]> = {};
  for (const [entry, file] of Object.entries(ENTRY_POINTS)) {
    const source = program.getSourceFile(join(repoRoot, file));
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${file} has no module symbol`);
    out[entry] = checker
      .getExportsOfModule(moduleSymbol)
      .map((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        const declaration = target.declarations?.[0];
        const isValue = (target.flags & ts.SymbolFlags.Value) !== 0;
        return {
          name: symbol.name,
          kind: isValue ? ("value" as const) : ("type" as const),
          doc: ts.displayPartsToString(target.getDocumentationComment(checker)).trim(),
          declaredIn: declaration ? declaration.getSourceFile().fileName.replace(repoRoot, "") : "?",
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  return out;
}
