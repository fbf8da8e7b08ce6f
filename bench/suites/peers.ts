// Peers behind the same tRPC router: better-auth (cookie cache off / on), Lucia v3's pattern and
// plain jose verification (stateless) and "jose + refresh row" (the same JWT plus a hashed refresh
// token rotated in Postgres), next to sessionkit with revocation none and notify, all in one group.

import type { Child } from "../lib/children.js";
import type { Figure, SuiteContext } from "../lib/figures.js";
import { figure } from "../lib/figures.js";
import { cookieHeader, postForCookies } from "../lib/cookies.js";
import { type Side, probe, runInterleaved } from "../lib/load.js";
import { trpcSides } from "./trpc.js";

const PEERS = [
  { id: "better-auth", label: "better-auth (cookie cache off)" },
  { id: "better-auth-cache", label: "better-auth (cookie cache on)" },
  { id: "lucia", label: "Lucia v3 pattern" },
  { id: "jose", label: "jose verify per request" },
  { id: "jose-refresh", label: "jose + refresh row" },
] as const;

/** Sign-in over tRPC: each request starts a new session for the same user. */
export function signInSide(label: string, server: Child): Side {
  return {
    name: `${label} sign-in`,
    method: "POST",
    url: `${server.url}/trpc/signIn`,
    headers: { "content-type": "application/json", rid: "anti-csrf" },
    body: JSON.stringify({ userId: `${label.replace(/\W+/g, "-")}-signin` }),
    server,
  };
}

/**
 * Refresh: each connection keeps its own session going, sending back whatever cookies the last
 * answer set (sessionkit rotates its refresh token, jose re-signs, the others extend).
 */
async function refreshSide(label: string, server: Child, path: string, connections: number): Promise<Side> {
  const jars: Map<string, string>[] = [];
  for (let i = 0; i <= connections; i++) {
    const { setCookies } = await postForCookies(
      `${server.url}/trpc/signIn`,
      { userId: `${label.replace(/\W+/g, "-")}-refresh-${i}` },
      { rid: "anti-csrf" },
    );
    const jar = new Map<string, string>();
    for (const pair of cookieHeader(setCookies, path).split("; ").filter(Boolean)) {
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    jars.push(jar);
  }
  const jarOf = (i: number) => jars[i < 0 ? connections : i] as Map<string, string>;
  return {
    name: `${label} refresh`,
    method: "POST",
    url: `${server.url}${path}`,
    // A tRPC mutation needs a JSON body; sessionkit's refresh route reads none.
    ...(path.startsWith("/trpc/")
      ? { headers: { rid: "session", "content-type": "application/json" }, body: "{}" }
      : { headers: { rid: "session" } }),
    server,
    perConnection: (i) => ({
      setup: (request) => {
        request.headers.cookie = [...jarOf(i)].map(([k, v]) => `${k}=${v}`).join("; ");
      },
      onResponse: (_status, headers) => {
        const lines = headers["set-cookie"] === undefined ? [] : ([] as string[]).concat(headers["set-cookie"]);
        for (const line of lines) {
          const [pair = ""] = line.split(";");
          const eq = pair.indexOf("=");
          if (eq > 0 && eq < pair.length - 1) jarOf(i).set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        }
      },
    }),
  };
}

/** The sign-in and refresh comparisons: sessionkit (revocation none) against each peer. */
async function flowFigures(ctx: SuiteContext, skNone: Child, peers: Child[]): Promise<Figure[]> {
  const connections = ctx.settings.connections;
  const sides: Side[] = [
    signInSide("sessionkit none", skNone),
    await refreshSide("sessionkit none", skNone, "/auth/session/refresh", connections),
  ];
  for (const [i, peer] of PEERS.entries()) {
    if (peer.id === "better-auth-cache") continue; // the cookie cache changes neither sign-in nor refresh
    sides.push(signInSide(peer.label, peers[i] as Child), await refreshSide(peer.label, peers[i] as Child, "/trpc/refresh", connections));
  }
  for (const side of sides) await probe(side, (status) => status === 200);
  const results = await runInterleaved(sides, ctx.settings);
  const figures: Figure[] = [];
  for (const peer of PEERS) {
    if (peer.id === "better-auth-cache") continue;
    for (const flow of ["sign-in", "refresh"] as const) {
      figures.push(
        figure(
          "peers",
          ctx.kind,
          results,
          `sessionkit none / ${peer.label} (${flow})`,
          `sessionkit none ${flow}`,
          `${peer.label} ${flow}`,
          {
            min: 1,
            strict: true,
          },
        ),
      );
    }
  }
  return figures;
}

export async function peersSuite(ctx: SuiteContext): Promise<Figure[]> {
  const [skNone, skNotify, ...peers] = await Promise.all([
    ctx.start(`peers-sessionkit-none-${ctx.kind}`, "trpc.ts", { BENCH_REVOCATION: "none", BENCH_REFRESH_GRACE: "300" }),
    ctx.start(`peers-sessionkit-notify-${ctx.kind}`, "trpc.ts", { BENCH_REVOCATION: "notify" }),
    ...PEERS.map((p) => ctx.start(`peers-${p.id}-${ctx.kind}`, "peers.ts", { BENCH_PEER: p.id })),
  ]);
  const none = await trpcSides("sessionkit none", skNone as Child, "peer-sk-none");
  const notify = await trpcSides("sessionkit notify", skNotify as Child, "peer-sk-notify");
  const sides: Side[] = [none.public, none.protected, notify.protected];
  for (const [i, peer] of PEERS.entries()) {
    const s = await trpcSides(peer.label, peers[i] as Child, `peer-${peer.id}`);
    sides.push(s.public, s.protected);
  }
  const results = await runInterleaved(sides, ctx.settings);
  const figures: Figure[] = [];
  for (const peer of PEERS) {
    figures.push(
      figure("peers", ctx.kind, results, `${peer.label}: protected / public`, `${peer.label} protected`, `${peer.label} public`),
      figure(
        "peers",
        ctx.kind,
        results,
        `sessionkit none / ${peer.label} (protected)`,
        "sessionkit none protected",
        `${peer.label} protected`,
        {
          min: 1,
          strict: true,
        },
      ),
      figure(
        "peers",
        ctx.kind,
        results,
        `sessionkit notify / ${peer.label} (protected)`,
        "sessionkit notify protected",
        `${peer.label} protected`,
        {
          min: 1,
          strict: true,
        },
      ),
    );
  }
  figures.push(...(await flowFigures(ctx, skNone as Child, peers as Child[])));
  return figures;
}
