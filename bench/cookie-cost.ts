// What the Cookie header costs on its own, and what revocation "notify" costs per protected call
// over "none" (issue 22). One group of alternating turns (A B … B A, bench/lib/load.ts) over
//   - a plain tRPC server (bench/servers/plain-trpc.ts: standalone adapter on node:http, a context
//     that reads nothing): no cookie, the bench's cookie (sAccessToken alone), and what a signed-in
//     browser sends on a tRPC call (WIRE.md: sAccessToken, the SDK's sFrontToken and
//     st-last-access-token-update; sRefreshToken is scoped to the refresh path);
//   - sessionkit's tRPC bench server (bench/servers/trpc.ts) with revocation none and notify: the
//     public call without and with the cookie, the protected call with it.
// Server CPU µs per request (all threads); differences taken per round (same moment), then the
// median. Servers on core 1 and this process on core 0 when pinning is available. Not part of
// `npm run bench`.
// Usage: [DATABASE_URL=…] npx tsx bench/cookie-cost.ts [--rounds=5] [--seconds=2] [--connections=10]

import { parseArgs } from "node:util";
import { type Child, pinSides, startServer, stopServers } from "./lib/children.js";
import { cookieHeader } from "./lib/cookies.js";
import { type BenchSchema, createBenchSchema } from "./lib/database.js";
import { type RoundResult, type Side, median, probe, runInterleaved } from "./lib/load.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "2" },
    connections: { type: "string", default: "10" },
  },
});

/** Signs in on a sessionkit server: the bench's Cookie header and the browser's (with the SDK's own cookies). */
async function signIn(server: Child, userId: string): Promise<{ access: string; browser: string }> {
  const response = await fetch(`${server.url}/trpc/signIn`, {
    method: "POST",
    headers: { "content-type": "application/json", rid: "anti-csrf" },
    body: JSON.stringify({ userId }),
  });
  if (!response.ok) throw new Error(`${server.name}: sign-in answered ${response.status}`);
  const access = cookieHeader(response.headers.getSetCookie(), "/trpc/me");
  const front = response.headers.get("front-token");
  if (!access || !front) throw new Error(`${server.name}: sign-in set no cookie or front-token`);
  // supertokens-web-js keeps the front-token header's value in sFrontToken and the time of the
  // last token update in st-last-access-token-update, both on the page's domain.
  return { access, browser: `${access}; sFrontToken=${front}; st-last-access-token-update=${Date.now()}` };
}

let schema: BenchSchema | undefined;
try {
  console.log(pinSides());
  const url = process.env.DATABASE_URL;
  if (url) schema = await createBenchSchema(url);
  const env: Record<string, string> = schema
    ? { BENCH_KIND: "postgres", DATABASE_URL: schema.url, BENCH_SCHEMA: schema.schema }
    : { BENCH_KIND: "pglite" };
  const [plain, none, notify] = await Promise.all([
    startServer("plain", "plain-trpc.ts", {}),
    startServer("sk-none", "trpc.ts", { ...env, BENCH_REVOCATION: "none" }),
    startServer("sk-notify", "trpc.ts", { ...env, BENCH_REVOCATION: "notify" }),
  ]);
  const noneCookies = await signIn(none as Child, "cookie-none");
  const notifyCookies = await signIn(notify as Child, "cookie-notify");
  const rid = { rid: "anti-csrf" };
  const side = (name: string, server: Child, path: string, cookie?: string): Side => ({
    name,
    url: `${server.url}/trpc/${path}`,
    headers: cookie ? { ...rid, cookie } : rid,
    server,
  });
  const sides: Side[] = [
    side("plain, no cookie", plain as Child, "hello"),
    side("plain, sAccessToken", plain as Child, "hello", noneCookies.access),
    side("plain, browser's cookies", plain as Child, "hello", noneCookies.browser),
    side("plain, no cookie again", plain as Child, "hello"),
    side("none public, no cookie", none as Child, "hello"),
    side("none public, sAccessToken", none as Child, "hello", noneCookies.access),
    side("none protected, sAccessToken", none as Child, "me", noneCookies.access),
    side("none protected, browser's cookies", none as Child, "me", noneCookies.browser),
    side("notify public, no cookie", notify as Child, "hello"),
    side("notify protected, sAccessToken", notify as Child, "me", notifyCookies.access),
  ];
  for (const s of sides) await probe(s, (status, body) => status === 200 && (body.includes("world") || body.includes("cookie-")));
  console.log(
    `Cookie header: sAccessToken alone ${noneCookies.access.length} B, the browser's ${noneCookies.browser.length} B; ` +
      `${values.rounds} rounds of ${values.seconds} s per side, ${values.connections} connections, ${env.BENCH_KIND}`,
  );
  const results = await runInterleaved(sides, {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    slices: 2,
    connections: Number(values.connections),
    warmupSeconds: 1,
    log: (line) => console.log(line),
  });
  const cpu = (name: string) => (results.get(name) as RoundResult[]).map((r) => r.cpuUs ?? Number.NaN);
  const range = (list: number[], digits = 1) =>
    `${median(list).toFixed(digits).padStart(7)}  (${Math.min(...list).toFixed(digits)} … ${Math.max(...list).toFixed(digits)})`;
  console.log(`\n${"side".padEnd(40)} server CPU µs/req, median (rounds)   req/s median`);
  for (const s of sides) {
    const rps = median((results.get(s.name) as RoundResult[]).map((r) => r.rps));
    console.log(`${s.name.padEnd(40)} ${range(cpu(s.name)).padEnd(36)} ${rps.toFixed(0).padStart(6)}`);
  }
  const diffs: [string, string, string][] = [
    ["node:http + tRPC receiving sAccessToken", "plain, sAccessToken", "plain, no cookie"],
    ["node:http + tRPC receiving the browser's cookies", "plain, browser's cookies", "plain, no cookie"],
    ["A/A: plain, no cookie again − no cookie", "plain, no cookie again", "plain, no cookie"],
    ["none: public with the cookie − public", "none public, sAccessToken", "none public, no cookie"],
    ["none: protected − public with the same cookie", "none protected, sAccessToken", "none public, sAccessToken"],
    ["none: protected − public (the bench's target pair)", "none protected, sAccessToken", "none public, no cookie"],
    ["none: protected, browser's cookies − sAccessToken", "none protected, browser's cookies", "none protected, sAccessToken"],
    ["notify: protected − public (the bench's target pair)", "notify protected, sAccessToken", "notify public, no cookie"],
    ["notify − none, protected (across servers)", "notify protected, sAccessToken", "none protected, sAccessToken"],
    ["notify − none, public (across servers)", "notify public, no cookie", "none public, no cookie"],
  ];
  console.log(`\n${"difference (per round, then median)".padEnd(56)} µs/req (rounds)`);
  for (const [label, a, b] of diffs) {
    const [x, y] = [cpu(a), cpu(b)];
    console.log(`${label.padEnd(56)} ${range(x.map((v, i) => v - (y[i] ?? Number.NaN)))}`);
  }
  for (const mode of ["none", "notify"]) {
    const [pub, prot] = [cpu(`${mode} public, no cookie`), cpu(`${mode} protected, sAccessToken`)];
    console.log(
      `${mode}: CPU ratio public / protected ${range(
        pub.map((v, i) => v / (prot[i] ?? Number.NaN)),
        3,
      )}`,
    );
  }
} finally {
  await stopServers();
  await schema?.drop();
}
