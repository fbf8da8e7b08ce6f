// base64 on Node's Buffer and on btoa/atob (other runtimes) must give the same bytes: tokens,
// refresh-token tags and the front-token are compared as text across instances and runtimes.

import { afterEach, describe, expect, it } from "vitest";
import {
  base64,
  base64Text,
  base64url,
  base64urlText,
  bufferEncoding,
  cryptoRandomBytes,
  fromBase64url,
  utf8,
} from "../../src/core/encoding.js";

const both = <T>(fn: () => T): [T, T] => {
  bufferEncoding(true);
  const onBuffer = fn();
  bufferEncoding(false);
  const onWeb = fn();
  bufferEncoding(true);
  return [onBuffer, onWeb];
};

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n));
}

describe("base64 encodings", () => {
  afterEach(() => void bufferEncoding(true));

  it("uses Buffer on Node", () => {
    expect(bufferEncoding()).toBe(true);
  });

  it("encodes every length and byte value the same on Buffer and on btoa", () => {
    for (let n = 0; n < 80; n++) {
      const bytes = randomBytes(n);
      const [a, b] = both(() => [base64(bytes), base64url(bytes)]);
      expect(a).toEqual(b);
      expect(a[1]).not.toMatch(/[+/=]/);
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const [a, b] = both(() => [base64(all), base64url(all)]);
    expect(a).toEqual(b);
  });

  it("encodes a view into a larger buffer as the view only", () => {
    const backing = randomBytes(64);
    const part = backing.subarray(7, 40);
    const [a, b] = both(() => base64url(part));
    expect(a).toBe(b);
    expect(fromBase64url(a)).toEqual(new Uint8Array(part));
  });

  it("encodes text as its UTF-8 bytes, lone surrogates included", () => {
    for (const text of ["", "a", '{"alg":"ES256","typ":"JWT"}', "é€😀", "\ud800x\udfff", JSON.stringify({ s: "\ud83d" })]) {
      const [a, b] = both(() => [base64urlText(text), base64Text(text)]);
      expect(a).toEqual(b);
      expect(a).toEqual([base64url(utf8(text)), base64(utf8(text))]);
    }
  });

  it("decodes canonical base64url only, the same on both", () => {
    for (let n = 0; n < 40; n++) {
      const bytes = randomBytes(n);
      const text = base64url(bytes);
      const [a, b] = both(() => fromBase64url(text));
      expect(a).toEqual(bytes);
      expect(b).toEqual(bytes);
      expect(a?.buffer.byteLength).toBe(n);
    }
    // Spare bits set in the last character, padding, the other alphabet, an impossible length.
    for (const bad of ["AB", "AAB", "QUJD=", "a+b/", "A", "AAAAA", "A A", "_-_-_"]) {
      const [a, b] = both(() => fromBase64url(bad));
      expect(a).toBe(b);
      expect(a).toBeUndefined();
    }
    expect(both(() => fromBase64url("QQ"))).toEqual([new Uint8Array([65]), new Uint8Array([65])]);
  });
});

describe("cryptoRandomBytes", () => {
  it("hands out fresh bytes of the length asked, never the same bytes twice, across pool refills", () => {
    const seen = new Set<string>();
    const counts = new Array<number>(256).fill(0);
    let total = 0;
    for (let i = 0; i < 600; i++) {
      const length = [16, 32, 12, 8, 300][i % 5] as number;
      const bytes = cryptoRandomBytes(length);
      expect(bytes.length).toBe(length);
      expect(bytes.buffer.byteLength).toBe(length);
      const text = base64url(bytes);
      expect(seen.has(text)).toBe(false);
      seen.add(text);
      for (const x of bytes) counts[x] = (counts[x] ?? 0) + 1;
      total += length;
    }
    // Far more than the 4 KB pool: it was refilled several times, and no wiped (zero) bytes leak out.
    expect(total).toBeGreaterThan(3 * 4096);
    expect(counts.filter((c) => c > 0).length).toBe(256);
    expect(counts[0] as number).toBeLessThan((3 * total) / 256);
  });

  it("returns copies: changing one changes no later value", () => {
    const a = cryptoRandomBytes(32);
    a.fill(0);
    const b = cryptoRandomBytes(32);
    expect(b.some((x) => x !== 0)).toBe(true);
  });
});
