// Ends a stream (an async iterable: a subscription's events) the moment a signal aborts, even
// while the source is waiting for its next event, and tells the source to stop.

/**
 * `source`, until `signal` aborts; then `onAbort(signal.reason)` decides the end: throw (the
 * stream fails with that error) or return one last value (sent, then the stream completes).
 */
export function untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal, onAbort: (reason: unknown) => T): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  // One fresh promise per pending `next()`: racing every call against one long-lived promise
  // would pile a reaction onto it per event (the Promise.race leak).
  let wake: (() => void) | undefined;
  const onAbortEvent = () => wake?.();
  signal.addEventListener("abort", onAbortEvent, { once: true });

  const stop = () => {
    done = true;
    signal.removeEventListener("abort", onAbortEvent);
    // The source may be suspended in an await; its return() runs once it resumes. Never wait for it.
    void Promise.resolve()
      .then(() => iterator.return?.())
      .catch(() => {});
  };
  const finish = (): IteratorResult<T> => {
    stop();
    return { done: false, value: onAbort(signal.reason) };
  };

  const wrapped: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => wrapped,
    async next() {
      if (done) return { done: true, value: undefined };
      if (signal.aborted) return finish();
      const aborted = new Promise<"aborted">((resolve) => {
        wake = () => resolve("aborted");
      });
      try {
        const result = await Promise.race([iterator.next(), aborted]);
        if (result === "aborted") return finish();
        if (result.done) {
          done = true;
          signal.removeEventListener("abort", onAbortEvent);
        }
        return result;
      } finally {
        wake = undefined;
      }
    },
    async return(value?: unknown) {
      const wasDone = done;
      done = true;
      signal.removeEventListener("abort", onAbortEvent);
      if (!wasDone) await iterator.return?.(value);
      return { done: true, value: undefined };
    },
  };
  return wrapped;
}
