// A process-level check for the security suite: any unhandled rejection or uncaught exception
// while a file's tests run fails that file, even if the test that caused it had already passed.

import { afterAll, afterEach, beforeAll, expect } from "vitest";

export function guardProcess(): void {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  const onException = (error: unknown) => seen.push(error);
  beforeAll(() => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
  });
  afterEach(async () => {
    // Let rejections of work a test left behind surface before judging.
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      seen.map((e) => (e instanceof Error ? (e.stack ?? String(e)) : String(e))),
      "unhandled rejections or uncaught exceptions",
    ).toEqual([]);
  });
  afterAll(() => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  });
}
