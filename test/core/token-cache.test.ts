// The verified-token cache looks entries up by the token's last characters: a different token
// that shares them must never get the cached claims, and the cache stays bounded.

import { describe, expect, it } from "vitest";
import { TokenCache } from "../../src/core/token-cache.js";

const token = (body: string, tail: string) => `${body}.${"x".repeat(40)}${tail}`;

describe("TokenCache", () => {
  it("answers only for the exact token, even when another shares its last characters", () => {
    const cache = new TokenCache<string>(10);
    const tail = "A".repeat(32);
    cache.set(token("eyJhIjoxfQ", tail), "claims of a", 2_000);
    expect(cache.get(token("eyJhIjoxfQ", tail), 1_000)).toBe("claims of a");
    expect(cache.get(token("eyJhIjoyfQ", tail), 1_000)).toBeUndefined();
    expect(cache.get(tail, 1_000)).toBeUndefined();
  });

  it("forgets a token at its expiry", () => {
    const cache = new TokenCache<string>(10);
    cache.set(token("t", "B".repeat(32)), "v", 2_000);
    expect(cache.get(token("t", "B".repeat(32)), 1_999)).toBe("v");
    expect(cache.get(token("t", "B".repeat(32)), 2_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("keeps at most maxEntries, dropping the oldest", () => {
    const cache = new TokenCache<number>(3);
    const keys = Array.from({ length: 5 }, (_, i) => token(`t${i}`, String(i).padStart(32, "0")));
    keys.forEach((k, i) => cache.set(k, i, 10_000));
    expect(cache.size).toBe(3);
    expect(keys.map((k) => cache.get(k, 0))).toEqual([undefined, undefined, 2, 3, 4]);
  });

  it("does not cache at all with size 0, and handles short keys", () => {
    const off = new TokenCache<number>(0);
    off.set(token("t", "C".repeat(32)), 1, 10_000);
    expect(off.size).toBe(0);
    const cache = new TokenCache<number>(2);
    cache.set("short", 1, 10_000);
    expect(cache.get("short", 0)).toBe(1);
    expect(cache.get("shorter", 0)).toBeUndefined();
  });
});
