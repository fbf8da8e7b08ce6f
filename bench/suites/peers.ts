// Peers behind the same tRPC router: better-auth (cookie cache off / on), Lucia v3's pattern and
// plain jose verification, next to sessionkit with revocation none and notify, all in one group.

import type { Child } from "../lib/children.js";
import type { Figure, SuiteContext } from "../lib/figures.js";
import { figure } from "../lib/figures.js";
import { type Side, runInterleaved } from "../lib/load.js";
import { trpcSides } from "./trpc.js";

const PEERS = [
  { id: "better-auth", label: "better-auth (cookie cache off)" },
  { id: "better-auth-cache", label: "better-auth (cookie cache on)" },
  { id: "lucia", label: "Lucia v3 pattern" },
  { id: "jose", label: "jose verify per request" },
] as const;

export async function peersSuite(ctx: SuiteContext): Promise<Figure[]> {
  const [skNone, skNotify, ...peers] = await Promise.all([
    ctx.start(`peers-sessionkit-none-${ctx.kind}`, "trpc.ts", { BENCH_REVOCATION: "none" }),
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
  return figures;
}
