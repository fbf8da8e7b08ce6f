// A command-line client of the example tRPC server, without cookies: header mode through
// sessionRefreshLink({ tokenStore }), tokens kept in a JSON file between runs.
//   npx tsx examples/cli/client.ts http://localhost:3000 signin alice secret
//   npx tsx examples/cli/client.ts http://localhost:3000 me

import { readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { type TokenStore, type Tokens, sessionRefreshLink } from "../../src/adapters/trpc/client.js";
import type { AppRouter } from "../trpc/router.js";

/** Tokens in a file only its owner can read (0600). */
export function fileTokenStore(path: string): TokenStore {
  return {
    async get() {
      try {
        return JSON.parse(await readFile(path, "utf8")) as Tokens;
      } catch {
        return undefined;
      }
    },
    async set(tokens) {
      if (tokens === undefined) await rm(path, { force: true });
      else await writeFile(path, JSON.stringify(tokens), { mode: 0o600 });
    },
  };
}

/** The example server's tRPC client in header mode. */
export function cliClient(url: string, tokenStore: TokenStore) {
  const session = sessionRefreshLink<AppRouter>({ baseUrl: `${url}/auth`, tokenStore });
  return createTRPCClient<AppRouter>({ links: [session, httpBatchLink({ url: `${url}/trpc`, fetch: session.fetch })] });
}

async function main(argv: string[]): Promise<void> {
  const [url = "http://localhost:3000", command = "me", ...args] = argv;
  const trpc = cliClient(url, fileTokenStore(join(homedir(), ".sessionkit-example-tokens.json")));
  if (command === "signin") console.log(await trpc.signIn.mutate({ name: args[0] ?? "", password: args[1] ?? "" }));
  else if (command === "signout") console.log(await trpc.signOut.mutate());
  else console.log(await trpc.me.query());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
