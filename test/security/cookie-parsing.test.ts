// readCookie on hostile Cookie headers: the work is linear in the header's length. Work is counted
// (characters scanned by the String methods the parser calls), not timed: a count is the same on
// a loaded machine, and a quadratic parser shows up as a count in the billions.

import { afterEach, describe, expect, it } from "vitest";
import { MAX_COOKIE_HEADER, readCookies } from "../../src/core/cookies.js";

const readCookie = (header: string, name: string) => readCookies(header, name)[0];

const proto = String.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
const originals = new Map<string, (...args: unknown[]) => unknown>();

/** Characters the String methods scanned or copied while `work` ran. */
function charactersTouched(work: () => void): number {
  let touched = 0;
  const wrap = (name: string, cost: (self: string, args: unknown[], result: unknown) => number) => {
    const original = proto[name] as (...args: unknown[]) => unknown;
    originals.set(name, original);
    proto[name] = function (this: string, ...args: unknown[]) {
      const result = original.apply(this, args);
      touched += cost(this, args, result);
      return result;
    };
  };
  wrap("indexOf", (self, [needle, from], result) => {
    const start = Math.max(0, Number(from ?? 0));
    const stop = result === -1 ? self.length : (result as number) + String(needle).length;
    return Math.max(1, stop - start);
  });
  // Copies cost what they copy; searches and trims what they scan.
  for (const name of ["slice", "substring"]) wrap(name, (_self, _args, result) => Math.max(1, (result as string).length));
  for (const name of ["trim", "split", "includes", "startsWith", "endsWith", "replace", "match"]) {
    wrap(name, (self) => Math.max(1, self.length));
  }
  try {
    work();
  } finally {
    restore();
  }
  return touched;
}

function restore(): void {
  for (const [name, original] of originals) proto[name] = original;
  originals.clear();
}
afterEach(restore);

const SIZE = MAX_COOKIE_HEADER - 64;
const hostile: Array<[string, string]> = [
  ["only semicolons", ";".repeat(SIZE)],
  ["semicolons then the cookie", `${";".repeat(SIZE - 40)}sAccessToken=abc`],
  ["names without values", "a;".repeat(SIZE / 2)],
  ["one = at the end", `${";".repeat(SIZE - 2)}=x`],
  ["many empty pairs", "a=;".repeat(SIZE / 3)],
  ["spaces", ` ${"; ".repeat(SIZE / 2 - 20)}sAccessToken=abc`],
];

describe("readCookie is linear", () => {
  it("an ordinary header costs a few times its length", () => {
    const header = "sFrontToken=abc; st-last-access-token-update=1; sAccessToken=eyJ.payload.sig; theme=dark";
    const touched = charactersTouched(() => readCookie(header, "sAccessToken"));
    expect(touched).toBeLessThan(header.length * 4);
  });

  for (const [label, header] of hostile) {
    it(`a 64 KB header of ${label} costs at most 6 characters of work per character`, () => {
      const touched = charactersTouched(() => {
        readCookie(header, "sAccessToken");
        readCookie(header, "sRefreshToken");
      });
      console.log(`${label}: ${header.length} chars, ${touched} characters of work (${(touched / header.length).toFixed(2)} per char)`);
      // Two reads of the header: a linear parser touches each character a few times per read.
      // The quadratic one (0.1) touched about 2 billion here.
      expect(touched).toBeLessThanOrEqual(header.length * 6);
    });
  }

  it("still finds the cookie, and every duplicate, in order", () => {
    expect(readCookie(`${";".repeat(1000)}sAccessToken=abc`, "sAccessToken")).toBe("abc");
    expect(readCookies("sAccessToken=a; x=1; sAccessToken=b", "sAccessToken")).toEqual(["a", "b"]);
    expect(readCookie("x=1;;; sAccessToken = %61b ;y", "sAccessToken")).toBe("ab");
    expect(readCookie(`${"a".repeat(100)}`, "sAccessToken")).toBeUndefined();
  });
});
