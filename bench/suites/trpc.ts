// tRPC: public query vs protected query on the same sessionkit server, per revocation mode.

import type { Child } from "../lib/children.js";
import { cookieHeader, postForCookies } from "../lib/cookies.js";
import { type Figure, type SuiteContext, figure, withBand } from "../lib/figures.js";
import { type RoundResult, type Side, probe, runInterleaved } from "../lib/load.js";

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

/**
 * The load shape of the groups with a 3 % target (protected / public, none and notify): twice the
 * turns of the default shape at the same turn length (4 turns of 1 s per side per round instead
 * of 2) and a 2 s warm-up. See docs/benchmarks.md, "Deciding a 3 % target".
 */
function verificationSettings(ctx: SuiteContext): SuiteContext["settings"] {
  if (ctx.quick) return ctx.settings;
  const slices = ctx.settings.slices ?? 1;
  return { ...ctx.settings, seconds: ctx.settings.seconds * 2, slices: slices * 2, warmupSeconds: Math.max(2, ctx.settings.warmupSeconds) };
}

export async function trpcSuite(ctx: SuiteContext): Promise<Figure[]> {
  // On PGlite only check-database touches the database per request; the other modes would
  // measure the same code as on Postgres.
  const modes = ctx.kind === "postgres" || ctx.only ? ["none", "notify", "check-database"] : ["check-database"];
  const servers = await Promise.all(modes.map((mode) => ctx.start(`trpc-${mode}-${ctx.kind}`, "trpc.ts", { BENCH_REVOCATION: mode })));
  const results = new Map<string, RoundResult[]>();
  const informational: Figure[] = [];
  for (const [i, mode] of modes.entries()) {
    const s = await trpcSides(`trpc ${mode}`, servers[i] as Child, `trpc-${mode}-user`);
    const sides: Side[] = [s.public, s.protected];
    const verification = mode === "none" || mode === "notify";
    if (verification) {
      // Information next to the target: a public call carrying the same cookie (what the cookie
      // alone costs: HTTP parsing, tRPC's Request conversion, the context resolving the session),
      // and, for none, the public call again (an A/A pair: this run's noise band for the ratio).
      sides.push({ ...s.public, name: `trpc ${mode} public, cookie sent`, headers: s.protected.headers });
      if (mode === "none") sides.push({ ...s.public, name: "trpc none public again" });
    }
    // One group per server: the two sides of a target take turns next to each other (A B … B A),
    // seconds apart, not across the whole suite.
    const group = await runInterleaved(sides, verification ? verificationSettings(ctx) : ctx.settings);
    for (const [name, list] of group) results.set(name, list);
    if (verification) {
      informational.push(
        figure(
          "trpc",
          ctx.kind,
          results,
          `tRPC public with cookie / public, revocation ${mode} (the cookie's own cost)`,
          `trpc ${mode} public, cookie sent`,
          `trpc ${mode} public`,
        ),
        figure(
          "trpc",
          ctx.kind,
          results,
          `tRPC protected / public with the same cookie, revocation ${mode}`,
          `trpc ${mode} protected`,
          `trpc ${mode} public, cookie sent`,
        ),
      );
      if (mode === "none") {
        informational.push(
          figure(
            "trpc",
            ctx.kind,
            results,
            "tRPC public again / public (A/A: the noise band)",
            "trpc none public again",
            "trpc none public",
          ),
        );
      }
    }
  }
  // A claim check on the same server and the same token: `admin` is `me` behind requireSession({ claims }).
  const claims = modes.includes("notify")
    ? await ctx.start(`trpc-claims-${ctx.kind}`, "trpc.ts", { BENCH_REVOCATION: "notify", BENCH_CLAIMS: "1" })
    : undefined;
  if (claims) {
    const s = await trpcSides("trpc claims", claims, "trpc-claims-user");
    const checked: Side = { ...s.protected, name: "trpc claims checked", url: `${claims.url}/trpc/admin` };
    await probe(checked, (status, body) => status === 200 && body.includes("trpc-claims-user"));
    for (const [name, list] of await runInterleaved([s.protected, checked], ctx.settings)) results.set(name, list);
  }
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
  // Each protected/public ratio with its server-CPU ratio and this run's A/A band next to it.
  const aa = informational.find((f) => f.numerator === "trpc none public again");
  const banded = (f: Figure) => (f.numerator.endsWith(" protected") && f !== aa ? withBand(f, aa) : f);
  return [...protection.map(banded), ...informational.map(banded), ...claimCost];
}
