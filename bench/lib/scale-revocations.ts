// The revocation log under load: single sign-outs before and after coalescing (their ceilings,
// then 1,000 a second asked), and 1,000 revocations a second as sign-outs everywhere; the log's
// size and span sampled throughout, to show it stays bounded.

import os from "node:os";
import autocannon from "autocannon";
import { REVOKED_PER_USER, type ScaleDb, generate } from "./scale-data.js";
import { sleep } from "./scale-sides.js";

/** Generated rows the single revocations may use: the full-speed turns, then 1,000/s asked before and after coalescing. */
export const singleRevocationRows = (seconds: number) => 60_000 + Math.ceil(2 * 1000 * seconds * 1.1);

/** The log's size and span (now − its oldest entry), sampled every 5 s while `run` runs; VACUUMed every 10 s when autovacuum is off. */
async function watchLog<T>(db: ScaleDb, vacuum: boolean, run: () => Promise<T>) {
  const samples: { at: number; rows: number; kB: number; spanS: number; load1: number }[] = [];
  const started = performance.now();
  const sample = async () => {
    const [r] = await db.sql`SELECT count(*)::int AS rows, pg_total_relation_size('sessionkit_revocations') AS bytes,
      coalesce(extract(epoch FROM now() - min(revoked_at)), 0)::float AS span FROM sessionkit_revocations`;
    samples.push({
      at: Math.round((performance.now() - started) / 1000),
      rows: Number(r?.rows),
      kB: Math.round(Number(r?.bytes) / 1024),
      spanS: +Number(r?.span).toFixed(1),
      load1: +(os.loadavg()[0] ?? 0).toFixed(1),
    });
  };
  let sampling = true;
  const sampler = (async () => {
    let tick = 0;
    while (sampling) {
      await sample();
      // Autovacuum is off on this server: vacuum the log every 10 s as it would.
      if (vacuum && ++tick % 2 === 0) await db.sql`VACUUM sessionkit_revocations`;
      await sleep(5000);
    }
  })();
  try {
    return { result: await run(), samples };
  } finally {
    sampling = false;
    await sampler;
    await sample();
  }
}

async function revocationLog(url: string, db: ScaleDb, seconds: number, vacuum: boolean, log: (line: string) => void) {
  const ttl = Number(process.env.BENCH_REVOCATION_TTL ?? "10");
  const windowSeconds = ttl + 60;
  // Single sign-outs at full speed, before (each its own statement and commit) and after
  // coalescing, in alternating turns: their ceilings as a same-moment ratio. A NOTIFYing commit
  // holds the notify lock through its WAL flush, so the before is capped near one per flush.
  const turnSeconds = Math.min(5, seconds);
  const ceiling = { before: [] as number[], after: [] as number[], load1: os.loadavg()[0] };
  for (let turn = 0; turn < 3; turn++) {
    for (const [side, path] of [
      ["before", "/revoke-unbatched"],
      ["after", "/revoke"],
    ] as const) {
      const r = await autocannon({ url: `${url}${path}`, method: "POST", connections: 32, duration: turnSeconds });
      ceiling[side].push(Math.round(r.requests.total / r.duration));
    }
  }
  const med = (list: number[]) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)] ?? Number.NaN;
  const ceilingRatio = +(med(ceiling.after) / med(ceiling.before)).toFixed(2);
  log(
    `  single sign-outs at full speed, 32 callers: before ${ceiling.before.join(", ")}/s, after ${ceiling.after.join(", ")}/s (×${ceilingRatio})`,
  );

  // 1,000 single sign-outs a second asked, before and after coalescing, each for `seconds`
  // (longer than the log's window, so its bound shows): achieved rate, p99, the log over time.
  const singleLoad = async (path: string) => {
    const load1 = os.loadavg()[0];
    const { result, samples } = await watchLog(db, vacuum, () =>
      autocannon({ url: `${url}${path}`, method: "POST", connections: 50, overallRate: 1000, duration: seconds }),
    );
    const rate = result.requests.total / result.duration;
    const settled = samples.filter((s) => s.at >= windowSeconds);
    return {
      asked: 1000,
      achieved: Math.round(rate),
      p99Ms: result.latency.p99,
      failed: result.non2xx + result.errors,
      load1,
      expectedRows: Math.round(rate * windowSeconds),
      maxRows: Math.max(...samples.map((s) => s.rows)),
      maxRowsAfterWindow: settled.length > 0 ? Math.max(...settled.map((s) => s.rows)) : undefined,
      maxSpanS: Math.max(...samples.map((s) => s.spanS)),
      samples,
    };
  };
  const singleBefore = await singleLoad("/revoke-unbatched");
  log(`  1,000 single sign-outs/s asked, before coalescing: ${JSON.stringify({ ...singleBefore, samples: undefined })}`);
  const singleAfter = await singleLoad("/revoke");
  log(`  1,000 single sign-outs/s asked, after coalescing: ${JSON.stringify({ ...singleAfter, samples: undefined })}`);

  // 1,000 revocations a second: 100 sign-outs everywhere a second, of REVOKED_PER_USER sessions each.
  const { result, samples } = await watchLog(db, vacuum, () =>
    autocannon({ url: `${url}/revoke-user`, method: "POST", connections: 10, overallRate: 1000 / REVOKED_PER_USER, duration: seconds }),
  );
  const rate = (result.requests.total * REVOKED_PER_USER) / result.duration;
  const out = {
    seconds,
    windowSeconds,
    vacuumedEvery10s: vacuum,
    singleCeiling: { ...ceiling, ratio: ceilingRatio },
    singleBefore,
    singleAfter,
    singleAchievedRatio: +(singleAfter.achieved / singleBefore.achieved).toFixed(2),
    revocationsPerSecond: Math.round(rate),
    statementsPerSecond: Math.round(result.requests.total / result.duration),
    failed: result.non2xx + result.errors,
    p99Ms: result.latency.p99,
    expectedRows: Math.round(rate * windowSeconds),
    maxRows: Math.max(...samples.map((s) => s.rows)),
    maxSpanS: Math.max(...samples.map((s) => s.spanS)),
    samples,
  };
  log(`  revocation log: ${JSON.stringify(out)}`);
  return out;
}

/**
 * The revocation phase on the small database: rows for the sign-outs generated after its
 * `smallRows` (users `revoked-<n / 10>`), then the log measured for `seconds` each.
 */
export async function measureRevocations(
  url: string,
  small: ScaleDb,
  smallRows: number,
  seconds: number,
  vacuum: boolean,
  log: (line: string) => void,
) {
  const revocationRows = singleRevocationRows(seconds) + Math.ceil(1000 * seconds * 1.3);
  await generate(small.url, smallRows + 1, revocationRows, {
    userPrefix: "revoked-",
    sessionsPerUser: REVOKED_PER_USER,
    handles: small.handles,
  });
  return revocationLog(url, small, seconds, vacuum, log);
}
