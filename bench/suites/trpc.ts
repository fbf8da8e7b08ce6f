// tRPC: public query vs protected query on the same sessionkit server, per revocation mode.

import type { Child } from "../lib/children.js";
import { cookieHeader, postForCookies } from "../lib/cookies.js";
import { type Figure, type SuiteContext, figure } from "../lib/figures.js";
import { type Side, probe, runInterleaved } from "../lib/load.js";

const TARGETS: Record<string, number | undefined> = { none: 0.97, notify: 0.97, "check-database": 0.4 };
/** A claim check is a lookup in the already-verified token (issue 18). */
const CLAIM_TARGET = 0.98;

/** Signs in through the server's `signIn` mutation; returns the Cookie header for `/trpc/me`. */
export async function trpcSignIn(url: string, userId: string): Promise<string> {
  const { setCookies } = await postForCookies(`${url}/trpc/signIn`, { userId }, { rid: "anti-csrf" });
  const cookie = cookieHeader(setCookies, "/trpc/me");
  if (!cookie) throw new Error(`${url}: signIn set no cookie`);
  return cookie;
}

/** The public and protected sides of one tRPC bench server. */
export async function trpcSides(label: string, server: Child, userId: string): Promise<{ public: Side; protected: Side }> {
  const { url } = server;
  const cookie = await trpcSignIn(url, userId);
  // Both sides send what the SuperTokens SDK sends on every call (`rid`); only the cookie differs.
  const sides = {
    public: { name: `${label} public`, url: `${url}/trpc/hello`, headers: { rid: "anti-csrf" }, server },
    protected: { name: `${label} protected`, url: `${url}/trpc/me`, headers: { rid: "anti-csrf", cookie }, server },
  };
  await probe(sides.public, (status, body) => status === 200 && body.includes("world"));
  await probe(sides.protected, (status, body) => status === 200 && body.includes(userId));
  return sides;
}

export async function trpcSuite(ctx: SuiteContext): Promise<Figure[]> {
  // On PGlite only check-database touches the database per request; the other modes would
  // measure the same code as on Postgres.
  const modes = ctx.kind === "postgres" || ctx.only ? ["none", "notify", "check-database"] : ["check-database"];
  const servers = await Promise.all(modes.map((mode) => ctx.start(`trpc-${mode}-${ctx.kind}`, "trpc.ts", { BENCH_REVOCATION: mode })));
  const sides: Side[] = [];
  for (const [i, mode] of modes.entries()) {
    const s = await trpcSides(`trpc ${mode}`, servers[i] as Child, `trpc-${mode}-user`);
    sides.push(s.public, s.protected);
    // What the cookie alone costs (HTTP parsing, tRPC's Request conversion), without protection.
    if (mode === "none") sides.push({ ...s.public, name: "trpc none public, cookie sent", headers: s.protected.headers });
  }
  // A claim check on the same server and the same token: `admin` is `me` behind requireSession({ claims }).
  const claims = modes.includes("notify")
    ? await ctx.start(`trpc-claims-${ctx.kind}`, "trpc.ts", { BENCH_REVOCATION: "notify", BENCH_CLAIMS: "1" })
    : undefined;
  if (claims) {
    const s = await trpcSides("trpc claims", claims, "trpc-claims-user");
    const checked: Side = { ...s.protected, name: "trpc claims checked", url: `${claims.url}/trpc/admin` };
    await probe(checked, (status, body) => status === 200 && body.includes("trpc-claims-user"));
    sides.push(s.protected, checked);
  }
  const results = await runInterleaved(sides, ctx.settings);
  const claimCost = claims
    ? [
        figure(
          "trpc",
          ctx.kind,
          results,
          "tRPC claim-checked / protected (same token, revocation notify)",
          "trpc claims checked",
          "trpc claims protected",
          { min: CLAIM_TARGET },
        ),
      ]
    : [];
  const cookieCost = modes.includes("none")
    ? [
        figure(
          "trpc",
          ctx.kind,
          results,
          "tRPC public with cookie / public (the cookie's own cost)",
          "trpc none public, cookie sent",
          "trpc none public",
        ),
      ]
    : [];
  const protection = modes.map((mode) => {
    const target = TARGETS[mode];
    const applies = target !== undefined && (mode !== "check-database" || ctx.kind === "postgres");
    return figure(
      "trpc",
      ctx.kind,
      results,
      `tRPC protected / public, revocation ${mode}`,
      `trpc ${mode} protected`,
      `trpc ${mode} public`,
      applies ? { min: target } : undefined,
    );
  });
  return [...protection, ...cookieCost, ...claimCost];
}
