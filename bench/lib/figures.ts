// What a suite produces: figures (ratios of two sides of one interleaved group) with targets.

import type { DbKind } from "../servers/common.js";
import type { Child } from "./children.js";
import { type GroupSettings, type RoundResult, ratioOf } from "./load.js";

export type { DbKind };

export interface Figure {
  suite: string;
  kind: DbKind;
  name: string;
  numerator: string;
  denominator: string;
  /** Median over rounds of numerator/denominator throughput measured in the same round. */
  ratio: number;
  min: number;
  max: number;
  numeratorRps: number;
  denominatorRps: number;
  /** Median server CPU per request (µs) of each side, when measured. */
  numeratorCpuUs?: number | undefined;
  denominatorCpuUs?: number | undefined;
  /** Denominator CPU µs/req ÷ numerator CPU µs/req: the ratio in server CPU rather than req/s. */
  cpuRatio?: number | undefined;
  /** Min–max over rounds of this run's A/A figure: the noise band to read `ratio` against. */
  band?: { min: number; max: number } | undefined;
  /** The ratio must be at least this (strictly more when `strict`). */
  target?: number;
  strict?: boolean;
  pass?: boolean;
}

export interface MemoryFigure {
  kind: DbKind;
  requests: number;
  distinctTokens: number;
  tokenCacheSize: number;
  callsPerSecond: number;
  before: { rssMB: number; heapMB: number };
  samples: { at: number; rssMB: number; heapMB: number }[];
  rssGrowthSecondHalfMB: number;
  heapGrowthSecondHalfMB: number;
  bounded: boolean;
}

/** A size in bytes on the wire (the access-token cookie every request carries), with its limit. */
export interface SizeFigure {
  name: string;
  bytes: number;
  limit?: number;
  pass?: boolean;
}

export interface SuiteContext {
  kind: DbKind;
  /** Whether this kind is the only database of the run (then PGlite runs everything). */
  only: boolean;
  settings: GroupSettings;
  quick: boolean;
  start(name: string, file: string, env?: Record<string, string>): Promise<Child>;
  /** Environment for children that are not HTTP servers (the memory run). */
  childEnv: Record<string, string>;
}

/** Builds a figure from the results of one group. */
export function figure(
  suite: string,
  kind: DbKind,
  results: Map<string, RoundResult[]>,
  name: string,
  numerator: string,
  denominator: string,
  target?: { min: number; strict?: boolean },
): Figure {
  const r = ratioOf(results, numerator, denominator);
  const pass = target === undefined ? undefined : target.strict ? r.ratio > target.min : r.ratio >= target.min;
  return {
    suite,
    kind,
    name,
    numerator,
    denominator,
    ...r,
    ...(target ? { target: target.min, strict: target.strict ?? false, pass } : {}),
  };
}

/**
 * Adds, next to a figure's ratio, its server-CPU ratio (denominator ÷ numerator CPU µs/req, so
 * higher is better as for req/s) and the A/A band of the run, also in the name the table shows.
 * The target is still judged on the req/s ratio.
 */
export function withBand(f: Figure, aa: Figure | undefined): Figure {
  const cpuRatio = f.numeratorCpuUs && f.denominatorCpuUs ? f.denominatorCpuUs / f.numeratorCpuUs : undefined;
  const notes = [
    ...(cpuRatio === undefined ? [] : [`CPU ratio ${cpuRatio.toFixed(2)}`]),
    ...(aa ? [`A/A band ${aa.min.toFixed(2)}–${aa.max.toFixed(2)}`] : []),
  ];
  if (notes.length === 0) return f;
  return { ...f, name: `${f.name} [${notes.join("; ")}]`, cpuRatio, ...(aa ? { band: { min: aa.min, max: aa.max } } : {}) };
}
