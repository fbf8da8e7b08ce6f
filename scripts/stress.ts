// `npm run stress`: the load scenarios of test/load at full size, with bounded counts and time:
// 1,000 concurrent refreshes of one session, 1,000 concurrent modifySessionData, 10,000 sessions
// created at once, and a soak (default 180 s) sampling memory. Postgres when DATABASE_URL is
// set, else PGlite. Counts: `npm run stress -- --refreshes 1000 --modifies 1000 --creates 10000
// --soak 180`. Prints figures; exits 1 when a promise is broken.

import os from "node:os";
import { parseArgs } from "node:util";
import { createTestDb, mainKind } from "../test/helpers/db.js";
import { concurrentCreates, concurrentModifies, concurrentRefreshes, soak } from "../test/load/scenarios.js";
import { createTarget } from "../test/security/target.js";

const { values } = parseArgs({
  options: {
    refreshes: { type: "string", default: "1000" },
    modifies: { type: "string", default: "1000" },
    creates: { type: "string", default: "10000" },
    soak: { type: "string", default: "180" },
    workers: { type: "string", default: "16" },
  },
});
const n = (name: keyof typeof values) => Number(values[name]);

const escaped: unknown[] = [];
process.on("unhandledRejection", (reason) => escaped.push(reason));

console.log(
  `sessionkit stress on ${mainKind}: node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${new Date().toISOString()}`,
);
const db = await createTestDb(mainKind);
// A bulk start of 10,000 sessions queues on a 4-connection pool: give the queue time, the
// figure of interest is correctness, not latency.
const target = createTarget(db, { storeTimeoutMs: 120_000 });
const broken: string[] = [];

const refresh = await concurrentRefreshes(target, n("refreshes"));
console.log(`refresh: ${JSON.stringify(refresh)}`);
if (refresh.thefts > 0 || refresh.ok !== refresh.requests || refresh.distinctTokens !== 1 || !refresh.followUpOk) broken.push("refreshes");

const modify = await concurrentModifies(target, n("modifies"));
console.log(`modify: ${JSON.stringify(modify)}`);
if (modify.lostUpdates !== 0 || modify.failures !== 0 || modify.finalCount !== modify.requests) broken.push("modifySessionData");

const create = await concurrentCreates(target, n("creates"));
console.log(`create: ${JSON.stringify(create)}`);
const all = create.requested;
if (
  [create.created, create.distinctHandles, create.distinctAccessTokens, create.distinctRefreshTokens, create.verified, create.stored].some(
    (x) => x !== all,
  )
) {
  broken.push("creates");
}

const soaked = await soak(target, n("soak"), n("workers"), (s) => console.log(`  t=${s.t}s heap ${s.heapMb} MB rss ${s.rssMb} MB`));
const { samples, ...soakFigures } = soaked;
console.log(`soak: ${JSON.stringify(soakFigures)}`);
const heapGrowth = soaked.heapEndMb - soaked.heapStartMb;
// Flat: after warm-up, the heap after a full GC grows by less than 10% + 10 MB over the run.
if (soaked.failures > 0 || heapGrowth > soaked.heapStartMb * 0.1 + 10) broken.push("soak memory");

await target.close();
await db.close();
console.log(
  `summary: ${broken.length === 0 ? "all promises kept" : `BROKEN: ${broken.join(", ")}`}; ${escaped.length} unhandled rejections`,
);
process.exit(broken.length > 0 || escaped.length > 0 ? 1 : 0);
