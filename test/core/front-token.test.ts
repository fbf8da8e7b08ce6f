// The front-token built from the JWT's payload JSON (what token writes use) has exactly the bytes
// of the one built from the payload object (WIRE.md: base64 of {"uid","ate","up"}).

import { describe, expect, it } from "vitest";
import { frontToken, frontTokenOfJson } from "../../src/core/access-token.js";
import type { JsonObject } from "../../src/core/store.js";

describe("frontTokenOfJson", () => {
  const payloads: JsonObject[] = [
    {},
    { n: 1 },
    { role: "admin", nested: { list: [1, "two", null, true], empty: {} } },
    { 'quote"key': 'line\nbreak "and" \\ back', unicode: "été ✓ 🔑 \u2028" },
    { sub: "user", sessionHandle: "h", iat: 1, exp: 2, authTime: 1733000000000, skRemember: false },
  ];
  const users = ["user-1", 'we"ird\\user', "ünïcode-🔑"];
  it("equals frontToken for any payload and user id", () => {
    for (const payload of payloads) {
      for (const userId of users) {
        for (const exp of [0, 1, 1733003600, 2 ** 31]) {
          expect(frontTokenOfJson(userId, exp, JSON.stringify(payload))).toBe(frontToken(userId, exp, payload));
        }
      }
    }
  });
});
