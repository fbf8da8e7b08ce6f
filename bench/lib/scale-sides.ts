// The scale suite's bench servers (bench/servers/scale.ts), one per database size, the sessions
// each signs in for the load, and the measured sides: every operation on every size.

import type { Child } from "./children.js";
import { setCookieValue } from "./cookies.js";
import type { SuiteContext } from "./figures.js";
import { type Side, probe } from "./load.js";
import type { ScaleDb } from "./scale-data.js";

export interface Tokens {
  access: string;
  refresh: string;
}

/** A size's signed-in sessions: one set the refreshes rotate, one the access-token reads use. */
export interface TokenPool {
  refresh: Tokens[];
  access: Tokens[];
}

export interface ScaleServers {
  sides: Side[];
  /** Per size label (`10k`, `10M`). */
  pools: Map<string, TokenPool>;
  smallServer: Child;
  largeServer: Child;
}

export const label = (rows: number) => (rows >= 1_000_000 ? `${rows / 1_000_000}M` : `${rows / 1000}k`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The two bench servers, one per size, their sets of signed-in sessions and the measured sides. */
export async function startScaleServers(
  ctx: SuiteContext,
  small: ScaleDb,
  large: ScaleDb,
  smallEnv: Record<string, string>,
): Promise<ScaleServers> {
  const start = (db: ScaleDb, extra: Record<string, string> = {}) =>
    ctx.start(`scale-${label(db.rows)}`, "scale.ts", {
      DATABASE_URL: db.url,
      BENCH_SCHEMA: "public",
      BENCH_SCALE_ROWS: String(db.rows),
      BENCH_SCALE_HANDLES: db.handles.shape,
      BENCH_SCALE_BASE_MS: String(db.handles.baseMs),
      BENCH_POOL: "10",
      ...extra,
    });
  const smallServer = await start(small, smallEnv);
  const largeServer = await start(large);
  const perConnection = 50;
  const connections = ctx.settings.connections;
  const setup = async (url: string, prefix: string): Promise<Tokens[]> => {
    const response = await fetch(`${url}/setup/sessions`, {
      method: "POST",
      body: JSON.stringify({ count: connections * perConnection + 1, prefix }),
    });
    if (!response.ok) throw new Error(`set-up: ${response.status} ${await response.text()}`);
    return (await response.json()) as Tokens[];
  };

  // The sides: each operation on each size; per connection a ring of sessions of its own.
  const sides: Side[] = [];
  const pools = new Map<string, TokenPool>();
  for (const [db, server] of [
    [small, smallServer],
    [large, largeServer],
  ] as const) {
    const size = label(db.rows);
    const pool = { refresh: await setup(server.url, `scale-refresh-${size}`), access: await setup(server.url, `scale-access-${size}`) };
    pools.set(size, pool);
    const ring = (list: Tokens[], kind: "refresh" | "access") => (i: number) => {
      // Index -1 is the probe's: the last session of the list, outside every connection's ring.
      const base = i < 0 ? list.length - 1 : i * perConnection;
      const span = i < 0 ? 1 : perConnection;
      let at = 0;
      let current = list[base] as Tokens;
      return {
        setup: (request: { headers: Record<string, string> }) => {
          current = list[base + (at++ % span)] as Tokens;
          request.headers.cookie = kind === "refresh" ? `sRefreshToken=${current.refresh}` : `sAccessToken=${current.access}`;
        },
        onResponse: (_status: number, headers: Record<string, string | string[]>) => {
          const next = kind === "refresh" ? setCookieValue(headers["set-cookie"], "sRefreshToken") : undefined;
          if (next) current.refresh = next;
        },
      };
    };
    sides.push(
      { name: `sign-in @${size}`, method: "POST", url: `${server.url}/signin`, server },
      {
        name: `refresh @${size}`,
        method: "POST",
        url: `${server.url}/auth/session/refresh`,
        headers: { rid: "session" },
        server,
        perConnection: ring(pool.refresh, "refresh"),
      },
      { name: `getSessionData @${size}`, url: `${server.url}/data`, server, perConnection: ring(pool.access, "access") },
      { name: `check-database @${size}`, url: `${server.url}/verify`, server, perConnection: ring(pool.access, "access") },
      { name: `listSessions @${size}`, url: `${server.url}/list`, server },
    );
    // 0.1's random handles, same sign-in otherwise: what the time-ordered handle changes.
    if (db === large) sides.push({ name: `sign-in, UUIDv4 handle @${size}`, method: "POST", url: `${server.url}/signin-v4`, server });
  }
  for (const side of sides) await probe(side, (status) => status === 200);
  return { sides, pools, smallServer, largeServer };
}

/**
 * Each bench server's pool connections read every page of the table and its indexes once
 * (bench/servers/scale.ts /setup/touch): a backend's first touch of a shared-buffers page is a
 * minor page fault in that process, which pg_prewarm (another backend) does not save it. Without
 * this, the large side's fresh connections pay ~1.5 faults per listSessions all run long and the
 * 10k side none: listSessions 0.52 from that alone (bench/RESULTS.md).
 */
export async function touch(servers: ScaleServers, small: ScaleDb, large: ScaleDb, log: (line: string) => void): Promise<void> {
  for (const [name, server] of [
    [label(small.rows), servers.smallServer],
    [label(large.rows), servers.largeServer],
  ] as const) {
    const response = await fetch(`${server.url}/setup/touch`, { method: "POST" });
    if (!response.ok) throw new Error(`touch ${name}: ${response.status} ${await response.text()}`);
    let state: { running: boolean; ms?: number; error?: string } = { running: true };
    while (state.running) {
      await sleep(250);
      state = (await (await fetch(`${server.url}/setup/touch`)).json()) as typeof state;
    }
    if (state.error) throw new Error(`touch ${name}: ${state.error}`);
    log(`  ${name}: every page touched by each pool connection in ${((state.ms ?? 0) / 1000).toFixed(1)} s`);
  }
}
