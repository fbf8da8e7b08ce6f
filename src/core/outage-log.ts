// How a revocation-listener outage is reported: one line when it drops (with the cause), repeats
// rate-limited while it stays down (each failed reconnect is not news), and one line when it is
// back, with how long it was down. In 0.1 every failed reconnect logged the same causeless line.

/** While the listener stays down, at most one "still down" line per this many ms. */
export const REPEAT_EVERY_MS = 60_000;

function causeOf(error: unknown): string {
  const message = error instanceof Error ? error.message : error === undefined ? "" : String(error);
  // Our own listener's errors carry the prefix already: the line has it once.
  return message ? `: ${message.replace(/^sessionkit: /, "")}` : "";
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

export class OutageLog {
  #downSince: number | undefined;
  #lastLine = 0;
  #failures = 0;

  constructor(
    private readonly warn: (message: string, error?: unknown) => void,
    private readonly now: () => number,
  ) {}

  /** The listener dropped, or an attempt to bring it back failed. */
  dropped(what: string, error?: unknown): void {
    const now = this.now();
    if (this.#downSince === undefined) {
      this.#downSince = now;
      this.#lastLine = now;
      this.#failures = 0;
      this.warn(`sessionkit: ${what}${causeOf(error)}; checking the store on every request until it is back`, error);
      return;
    }
    this.#failures++;
    if (now - this.#lastLine < REPEAT_EVERY_MS) return;
    this.#lastLine = now;
    this.warn(
      `sessionkit: the revocation listener is still down after ${seconds(now - this.#downSince)} (${this.#failures} failed attempts to reconnect; the last${causeOf(error) || ": no reason given"})`,
      error,
    );
  }

  /** The listener is up and caught up again. */
  recovered(): void {
    if (this.#downSince === undefined) return;
    const down = this.now() - this.#downSince;
    const attempts = this.#failures;
    this.#downSince = undefined;
    const tries = attempts > 0 ? ` (${attempts} failed attempt${attempts === 1 ? "" : "s"} to reconnect)` : "";
    this.warn(`sessionkit: the revocation listener is back after ${seconds(down)} down${tries}; verifications need no store call again`);
  }
}
