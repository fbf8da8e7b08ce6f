// base64 on Node's Buffer and on btoa/atob (other runtimes) must give the same bytes: tokens,
// refresh-token tags and the front-token are compared as text across instances and runtimes.

import { afterEach, describe, expect, it } from "vitest";
import { base64, base64Text, base64url, base64urlText, bufferEncoding, fromBase64url, utf8 } from "../../src/core/encoding.js";

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
