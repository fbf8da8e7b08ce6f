// Load from the bench process with autocannon, and the interleaved rounds that turn throughput
// into ratios: every side of a group runs once per round, the order reversed every other round
// (A B C, C B A, …), so drift and noise on a busy machine fall on all sides alike.

import autocannon from "autocannon";
import { type Child, cpuOf } from "./children.js";

/** One thing to measure: an HTTP request, the same on every connection or shaped per connection. */
export interface Side {
  name: string;
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** The server answering: its CPU time per request is recorded next to the throughput. */
  server?: Child;
  /**
   * Per-connection state (e.g. a refresh-token chain): one autocannon instance with one
   * connection each, so the state stays with its connection.
   */
  perConnection?: (index: number) => {
    setup(request: { headers: Record<string, string> }): void;
    onResponse?(status: number, headers: Record<string, string | string[]>): void;
  };
}

export interface RoundResult {
  rps: number;
  requests: number;
  /** How long the turn (or the round's turns) took, in seconds. */
  seconds?: number;
  p50: number;
  p99: number;
  /** Server CPU time per request (µs), when the side names its server. */
  cpuUs?: number;
}

export interface LoadSettings {
  seconds: number;
  connections: number;
}

/** The first failed answer of a run, to say what went wrong. */
let firstFailure: string | undefined;

function instance(
  side: Side,
  connections: number,
  seconds: number,
  perConnection?: ReturnType<NonNullable<Side["perConnection"]>>,
  amount?: number,
) {
  const url = new URL(side.url);
  // Wall time from the start to the last answer: an amount run ends at autocannon's next
  // one-second tick, not at its last answer, so its own `duration` is a whole number of seconds.
  const started = performance.now();
  let answered = started;
  const onResponse = (status: number, body: string, _context: unknown, headers: Record<string, string | string[]>) => {
    answered = performance.now();
    if ((status < 200 || status > 299) && firstFailure === undefined) firstFailure = `${status} ${body.slice(0, 200)}`;
    perConnection?.onResponse?.(status, headers);
  };
  const run = autocannon({
    url: url.origin,
    connections,
    // A count instead of a duration ends the turn after the last answer, not in the middle of a
    // request: a per-connection chain (a rotated refresh token) never loses the answer that
    // carried its next token.
    ...(amount === undefined ? { duration: seconds } : { amount }),
    timeout: 30,
    requests: [
      {
        method: side.method ?? "GET",
        path: url.pathname + url.search,
        headers: { ...side.headers },
        ...(side.body === undefined ? {} : { body: side.body }),
        onResponse,
        ...(perConnection
          ? {
              setupRequest: (request: { headers: Record<string, string> }) => {
                request.headers = { ...request.headers };
                perConnection.setup(request);
                return request;
              },
            }
          : {}),
      } as never,
    ],
  });
  return run.then((result) => ({ result, seconds: amount === undefined ? result.duration : (answered - started) / 1000 }));
}

/**
 * Requests per second of one connection of a per-connection side, from its last turn: its next
 * turn asks for that many requests × seconds, so it lasts about as long as a timed turn.
 */
const connectionRate = new Map<string, number>();

/** Runs one side for `seconds`; fails when any request failed (a figure built on errors means nothing). */
export async function runSide(side: Side, settings: LoadSettings): Promise<RoundResult> {
  firstFailure = undefined;
  const cpuBefore = side.server ? await cpuOf(side.server) : 0;
  // Per-connection sides run a count of requests per connection (see `instance`), sized from the
  // rate of the side's previous turn; the first turn (the warm-up) asks for 5 per connection.
  const rate = connectionRate.get(side.name);
  const amount = side.perConnection ? Math.max(2, Math.round(rate === undefined ? 5 : rate * settings.seconds)) : undefined;
  const results = side.perConnection
    ? await Promise.all(
        Array.from({ length: settings.connections }, (_, i) => instance(side, 1, settings.seconds, side.perConnection?.(i), amount)),
      )
    : [await instance(side, settings.connections, settings.seconds)];
  let requests = 0;
  let seconds = 0;
  let p50 = 0;
  let p99 = 0;
  for (const { result: r, seconds: turnSeconds } of results) {
    const failed = r.errors + r.timeouts + r.non2xx;
    if (failed > 0) {
      throw new Error(
        `${side.name}: ${failed} failed requests (errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}) of ${r.requests.total}; first: ${firstFailure}`,
      );
    }
    requests += r.requests.total;
    seconds += turnSeconds / results.length;
    p50 = Math.max(p50, r.latency.p50);
    p99 = Math.max(p99, r.latency.p99);
  }
  const cpuUs = side.server ? ((await cpuOf(side.server)) - cpuBefore) / requests : undefined;
  if (side.perConnection) connectionRate.set(side.name, requests / seconds / settings.connections);
  return { rps: requests / seconds, requests, seconds, p50, p99, ...(cpuUs === undefined ? {} : { cpuUs }) };
}

/** One request of a side outside the load, to prove it answers what it should before it is measured. */
export async function probe(side: Side, expect: (status: number, body: string) => boolean): Promise<void> {
  const headers: Record<string, string> = { ...side.headers };
  side.perConnection?.(-1).setup({ headers });
  const response = await fetch(side.url, { method: side.method ?? "GET", headers, body: side.body });
  const body = await response.text();
  if (!expect(response.status, body)) {
    throw new Error(`${side.name}: probe got ${response.status} ${body.slice(0, 300)}`);
  }
}

export interface GroupSettings extends LoadSettings {
  rounds: number;
  /** Turns per round: each side runs `seconds / slices` at a time. */
  slices?: number;
  warmupSeconds: number;
  log: (line: string) => void;
  /** Called after each round (progress and time left). */
  onRound?: (round: number, rounds: number, sides: number, seconds: number) => void;
}

/** Interleaved rounds over the sides of a group; returns every side's result per round. */
export async function runInterleaved(sides: Side[], settings: GroupSettings): Promise<Map<string, RoundResult[]>> {
  const results = new Map<string, RoundResult[]>(sides.map((s) => [s.name, []]));
  if (settings.warmupSeconds > 0) {
    for (const side of sides) await runSide(side, { ...settings, seconds: settings.warmupSeconds });
  }
  // A round gives every side `seconds` in `slices` turns, the order reversing at every turn, so
  // the sides of a group are measured close together in time, not tens of seconds apart.
  const slices = Math.max(1, settings.slices ?? 1);
  const sliceSeconds = settings.seconds / slices;
  let turn = 0;
  for (let round = 0; round < settings.rounds; round++) {
    const parts = new Map<string, RoundResult[]>(sides.map((s) => [s.name, []]));
    for (let slice = 0; slice < slices; slice++, turn++) {
      for (const side of turn % 2 === 0 ? sides : [...sides].reverse()) {
        parts.get(side.name)?.push(await runSide(side, { ...settings, seconds: sliceSeconds }));
      }
    }
    for (const side of sides) {
      const list = parts.get(side.name) ?? [];
      const requests = list.reduce((a, r) => a + r.requests, 0);
      // Summed durations, not requests / rps: a turn that completed no request (a slow side on a
      // loaded machine) made the round's rate 0 / 0 = NaN ("NaN–NaN" rounds in the 2026-12-02 run).
      const seconds = list.reduce((a, r) => a + (r.seconds ?? r.requests / r.rps), 0);
      const cpuParts = list.filter((r) => r.cpuUs !== undefined);
      const result: RoundResult = {
        rps: requests / seconds,
        requests,
        p50: median(list.map((r) => r.p50)),
        p99: Math.max(...list.map((r) => r.p99)),
        ...(cpuParts.length > 0 ? { cpuUs: cpuParts.reduce((a, r) => a + (r.cpuUs ?? 0) * r.requests, 0) / requests } : {}),
      };
      results.get(side.name)?.push(result);
      const cpu = result.cpuUs === undefined ? "" : `  server CPU ${result.cpuUs.toFixed(0)} µs/req`;
      settings.log(
        `  round ${round + 1}/${settings.rounds} ${side.name.padEnd(40)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms${cpu}`,
      );
    }
    settings.onRound?.(round + 1, settings.rounds, sides.length, settings.seconds);
  }
  return results;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The ratio of two sides: per round (same moment, same noise), then the median over rounds. */
export function ratioOf(results: Map<string, RoundResult[]>, numerator: string, denominator: string) {
  const num = results.get(numerator);
  const den = results.get(denominator);
  if (!num || !den) throw new Error(`no results for ${numerator} / ${denominator}`);
  const perRound = num.map((r, i) => r.rps / (den[i]?.rps ?? Number.NaN));
  const cpu = (rounds: RoundResult[]) => {
    const values = rounds.map((r) => r.cpuUs).filter((v): v is number => v !== undefined);
    return values.length > 0 ? median(values) : undefined;
  };
  return {
    ratio: median(perRound),
    min: Math.min(...perRound),
    max: Math.max(...perRound),
    numeratorRps: median(num.map((r) => r.rps)),
    denominatorRps: median(den.map((r) => r.rps)),
    numeratorCpuUs: cpu(num),
    denominatorCpuUs: cpu(den),
  };
}
