// Progress of a bench run on stderr: which suite, which round, and about how long is left.
// Time left is the planned work (sides × turns) not yet done, at the pace measured so far.

/**
 * Sides per suite and database at the default settings, to size the plan before it runs. The
 * trpc suite counts 18: its protected / public groups (7 sides) run twice the turns and a longer
 * warm-up (bench/suites/trpc.ts), the claim and check-database groups (4 sides) the default.
 */
const SIDES: Record<string, { postgres: number; pglite: number; fixedSeconds?: number }> = {
  trpc: { postgres: 18, pglite: 2 },
  yoga: { postgres: 2, pglite: 2 },
  ops: { postgres: 9, pglite: 8 },
  peers: { postgres: 23, pglite: 23 },
  memory: { postgres: 0, pglite: 0, fixedSeconds: 45 },
  sizes: { postgres: 0, pglite: 0, fixedSeconds: 30 },
  telemetry: { postgres: 4, pglite: 4 },
};

export interface ProgressSettings {
  seconds: number;
  rounds: number;
  warmupSeconds: number;
}

export class Progress {
  readonly #started = performance.now();
  /** Planned seconds of load per group, in run order. */
  readonly #planned: number[];
  #group = -1;
  #doneSeconds = 0;
  #groupDoneSeconds = 0;

  constructor(
    private readonly groups: readonly { suite: string; kind: "postgres" | "pglite" }[],
    settings: ProgressSettings,
  ) {
    this.#planned = groups.map(({ suite, kind }) => {
      const shape = SIDES[suite];
      if (!shape) return 0;
      return (shape.fixedSeconds ?? 0) + shape[kind] * (settings.warmupSeconds + settings.rounds * settings.seconds);
    });
  }

  /** A group starts: "[2/7] yoga on postgres". */
  startGroup(index: number): string {
    if (this.#group >= 0) this.#doneSeconds += this.#planned[this.#group] ?? 0;
    this.#group = index;
    this.#groupDoneSeconds = 0;
    const g = this.groups[index];
    return `[${index + 1}/${this.groups.length}] ${g?.suite} on ${g?.kind}${this.#left()}`;
  }

  /** A round of the current group is done (`sides` sides ran `seconds` each). */
  round(round: number, rounds: number, sides: number, seconds: number): string {
    this.#groupDoneSeconds += sides * seconds;
    const g = this.groups[this.#group];
    return `  [${this.#group + 1}/${this.groups.length} ${g?.suite}/${g?.kind}] round ${round}/${rounds} done${this.#left()}`;
  }

  #left(): string {
    const elapsed = (performance.now() - this.#started) / 1000;
    const planned = this.#planned.reduce((a, b) => a + b, 0);
    const done = this.#doneSeconds + this.#groupDoneSeconds;
    if (planned <= 0) return "";
    // Pace: wall seconds per planned second, once something has run (servers start, probes, sign-ins).
    const pace = done > 0 ? Math.max(1, elapsed / done) : 1.3;
    // Whole seconds first, so 599.6 s reads "10 min 0 s", not "9 min 60 s".
    const left = Math.round(Math.max(0, (planned - done) * pace));
    const mins = Math.floor(left / 60);
    return ` · ${Math.round(elapsed)} s elapsed, about ${mins > 0 ? `${mins} min ` : ""}${left % 60} s left`;
  }
}
