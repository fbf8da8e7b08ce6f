// Secret comparisons are constant-time: `timingSafeEqual` and `hmacVerify` are correct, and the
// refresh and anti-CSRF paths compare secrets only through them (a source check, so a later
// `===` on a token fails here rather than in a timing lab).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hmac, hmacVerify, importHmacKey, timingSafeEqual } from "../../src/core/encoding.js";

describe("timingSafeEqual", () => {
  it("is true exactly for equal strings", () => {
    const cases: Array<[string, string, boolean]> = [
      ["", "", true],
      ["a", "a", true],
      ["token-123", "token-123", true],
      ["été ✓ 🔑", "été ✓ 🔑", true],
      ["a", "b", false],
      ["", "a", false],
      ["abc", "abcd", false],
      ["abcd", "abc", false],
      ["abc\u0000", "abc", false],
      ["é", "e\u0301", false],
      ["AAAA", "AAAB", false],
      ["BAAA", "AAAA", false],
    ];
    for (const [a, b, equal] of cases) {
      expect(timingSafeEqual(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(equal);
      expect(timingSafeEqual(b, a)).toBe(equal);
    }
  });

  it("agrees with === on random strings", () => {
    for (let i = 0; i < 2000; i++) {
      const a = Math.random()
        .toString(36)
        .slice(2, 2 + (i % 7));
      const b =
        i % 3 === 0
          ? a
          : Math.random()
              .toString(36)
              .slice(2, 2 + (i % 7));
      expect(timingSafeEqual(a, b)).toBe(a === b);
    }
  });
});

describe("hmacVerify", () => {
  it("accepts the right tag and refuses altered, truncated or extended ones", async () => {
    const key = await importHmacKey(crypto.getRandomValues(new Uint8Array(32)));
    const tag = await hmac(key, "handle.1.secret");
    expect(await hmacVerify(key, tag, "handle.1.secret")).toBe(true);
    expect(await hmacVerify(key, tag, "handle.2.secret")).toBe(false);
    const flipped = tag.slice();
    flipped[31] = (flipped[31] ?? 0) ^ 1;
    expect(await hmacVerify(key, flipped, "handle.1.secret")).toBe(false);
    expect(await hmacVerify(key, tag.slice(0, 31), "handle.1.secret")).toBe(false);
    const longer = new Uint8Array(33);
    longer.set(tag);
    expect(await hmacVerify(key, longer, "handle.1.secret")).toBe(false);
  });
});

/** `a === b` / `a !== b` where neither side is a literal (undefined, null, a string, a number, a boolean). */
function variableComparisons(source: string): string[] {
  const literal = /^(undefined|null|true|false|-?\d[\d_.]*|"[^"]*"|'[^']*'|`[^`]*`)$/;
  const found: string[] = [];
  for (const line of source.split("\n")) {
    const code = line.replace(/\/\/.*$/, "");
    for (const m of code.matchAll(/([\w.$?[\]()"'`-]+)\s*(!==|===|!=|==)\s*([\w.$?[\]()"'`-]+)/g)) {
      const [, left = "", , right = ""] = m;
      if (literal.test(left) || literal.test(right.replace(/\)+$/, ""))) continue;
      if (/\.length$/.test(left) || /^typeof\b/.test(left)) continue;
      found.push(line.trim());
    }
  }
  return found;
}

describe("the refresh and anti-CSRF paths compare secrets only in constant time", () => {
  const files = ["src/core/lifecycle.ts", "src/core/refresh-token.ts", "src/core/engine.ts"];

  it("the check itself catches a variable comparison", () => {
    expect(variableComparisons("if (row.refreshHash === presentedHash) ok();")).toHaveLength(1);
    expect(variableComparisons('if (sent === undefined || mode === "via-token") no();')).toEqual([]);
  });

  for (const file of files) {
    it(`${file} has no ===/!== between two variables`, () => {
      expect(variableComparisons(readFileSync(file, "utf8"))).toEqual([]);
    });
  }

  it("and they do use timingSafeEqual / hmacVerify", () => {
    expect(readFileSync("src/core/lifecycle.ts", "utf8")).toMatch(/timingSafeEqual\(row\.refreshHash, nextHash\)/);
    expect(readFileSync("src/core/engine.ts", "utf8")).toMatch(/timingSafeEqual\(sent, claims\.antiCsrfToken\)/);
    expect(readFileSync("src/core/refresh-token.ts", "utf8")).toMatch(/hmacVerify\(key, tag,/);
  });
});
