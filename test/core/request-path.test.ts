// requestPath's fast path for plain Node paths must answer exactly what URL parsing answers.

import { describe, expect, it } from "vitest";
import { requestPath } from "../../src/core/http.js";

const viaUrl = (url: string) => {
  try {
    return new URL(url, "http://localhost").pathname;
  } catch {
    return "/";
  }
};

describe("requestPath", () => {
  it("gives the URL pathname for plain paths, dot segments, doubled slashes, queries and escapes", () => {
    const paths = [
      "/auth/session/refresh",
      "/",
      "/a/",
      "/a//b",
      "//evil/x",
      "/a/./b",
      "/a/../b",
      "/a/..",
      "/a/.",
      "/.",
      "/..",
      "/.well-known/openid-configuration",
      "/a.b/c..d",
      "/a?x=1",
      "/auth/session/refresh?x=/../",
      "/a#f",
      "/%2e%2e/x",
      "/a b",
      "/~x",
      "/a/...",
      "/a\\b",
      "/auth/session/refresh/",
    ];
    for (const path of paths) expect(requestPath({ url: path, headers: {} }), path).toBe(viaUrl(path));
  });

  it("agrees with URL on random paths over a small alphabet", () => {
    const alphabet = ["/", ".", "a", "-", "%2e", "?", "#", "\\", "~", "_"];
    for (let i = 0; i < 3000; i++) {
      let path = "/";
      const n = Math.floor(Math.random() * 8);
      for (let j = 0; j < n; j++) path += alphabet[Math.floor(Math.random() * alphabet.length)];
      expect(requestPath({ url: path, headers: {} }), path).toBe(viaUrl(path));
    }
  });

  it("reads absolute fetch URLs and refuses what is not a string", () => {
    expect(requestPath({ url: "http://example.com/auth/session/refresh?x=1", headers: {} })).toBe("/auth/session/refresh");
    expect(requestPath({ headers: {} })).toBe("/");
  });
});
