// Sizes: the access-token cookie a signed-in browser sends with every request, per signing
// algorithm, signed in through the same tRPC server as the other suites (small payload).

import { stopServers } from "../lib/children.js";
import type { SizeFigure, SuiteContext } from "../lib/figures.js";
import { trpcSignIn } from "./trpc.js";

/** Issue 22: the default cookie must stay at or under this many bytes. */
const DEFAULT_LIMIT = 400;

export async function sizesSuite(ctx: SuiteContext): Promise<SizeFigure[]> {
  const sizes: SizeFigure[] = [];
  for (const algorithm of ["default", "RS256", "ES256", "EdDSA"] as const) {
    const server = await ctx.start(
      `sizes-${algorithm}-${ctx.kind}`,
      "trpc.ts",
      algorithm === "default" ? {} : { BENCH_ALGORITHM: algorithm },
    );
    const cookie = await trpcSignIn(server.url, "size-user-0001");
    const access = cookie.split("; ").find((pair) => pair.startsWith("sAccessToken=")) ?? "";
    const bytes = new TextEncoder().encode(access).length;
    const name = algorithm === "default" ? "access-token cookie, default settings" : `access-token cookie, ${algorithm}`;
    sizes.push({ name, bytes, ...(algorithm === "default" ? { limit: DEFAULT_LIMIT, pass: bytes <= DEFAULT_LIMIT } : {}) });
    ctx.settings.log(`  ${name}: ${bytes} B`);
    await stopServers([server.process]);
  }
  return sizes;
}
