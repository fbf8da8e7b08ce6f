// `npm run check:package`: packs sessionkit as `npm pack` does (scripts/pack.ts) and runs publint
// (strict: warnings fail too) and @arethetypeswrong/cli on the tarball. The package is ESM-only
// (Node 20+), so attw runs with `--profile esm-only`: CommonJS `require` and the pre-exports
// `node10` resolution are out of scope by design (see docs/api.md, "Module format").

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { packTarball, repoRoot } from "./pack.js";

const run = promisify(execFile);
const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);

async function tool(name: string, args: string[], passed: (output: string) => boolean): Promise<boolean> {
  const result = await run(bin(name), args, { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } }).then(
    ({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }),
    (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${error.stdout ?? ""}${error.stderr ?? ""}` }),
  );
  const ok = result.ok && passed(result.output);
  if (ok) console.log(`${name}: no problems`);
  else console.log(`${name}: problems found\n${result.output}`);
  return ok;
}

const { tarball } = await packTarball();
console.log(`packed ${tarball}`);
const results = await Promise.all([
  tool("publint", ["run", tarball, "--strict"], (output) => output.includes("All good!")),
  tool("attw", [tarball, "--profile", "esm-only", "--format", "ascii"], () => true), // exit status 1 on any problem
]);
if (results.includes(false)) process.exit(1);
