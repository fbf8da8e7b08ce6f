// createSessions refuses option names it does not know: a typo such as `revokation: "notify"`
// must fail at startup, not serve with revocation silently off.

import { describe, expect, it } from "vitest";
import { type CreateSessionsOptions, createSessions } from "../../src/index.js";
import type { SessionStore } from "../../src/index.js";

// Never called: option validation runs before the store is used.
const store = {} as SessionStore;

describe("createSessions options", () => {
  it("refuses an unknown option with a TypeError that names it and the near miss", () => {
    const misspelt = { store, revokation: "notify" } as unknown as CreateSessionsOptions;
    expect(() => createSessions(misspelt)).toThrow(TypeError);
    expect(() => createSessions(misspelt)).toThrow(/unknown option "revokation" \(did you mean "revocation"\?\)/);
    const cased = { store, AntiCsrf: "none" } as unknown as CreateSessionsOptions;
    expect(() => createSessions(cased)).toThrow(/unknown option "AntiCsrf" \(did you mean "antiCsrf"\?\)/);
    const far = { store, somethingElse: 1 } as unknown as CreateSessionsOptions;
    expect(() => createSessions(far)).toThrow(/unknown option "somethingElse"$/);
  });

  it("names the misspelt store instead of only asking for one", () => {
    expect(() => createSessions({ stor: store } as unknown as CreateSessionsOptions)).toThrow(/did you mean "store"/);
  });

  it("accepts the known options", () => {
    const sessions = createSessions({
      store,
      accessTokenTtl: 60,
      refreshTokenTtl: 3600,
      antiCsrf: "none",
      revocation: "none",
      refreshGraceSeconds: 5,
      cookies: { secure: false },
      basePath: "/auth",
      sessionExpiredStatusCode: 401,
      algorithm: "ES256",
      keyRotationInterval: 3600,
      secret: "x".repeat(32),
      tokenCacheSize: 10,
      storeTimeoutMs: 1000,
      notifyChannel: "sessionkit_revocations",
      cors: { origins: ["https://a.example"] },
      onWarning: () => {},
      now: Date.now,
      randomBytes: (n) => new Uint8Array(n),
    });
    expect(sessions.config.basePath).toBe("/auth");
  });

  it("a typo is also a compile error", () => {
    // @ts-expect-error: not an option name
    const typo = () => createSessions({ store, revokation: "notify" });
    expect(typo).toThrow(TypeError);
  });
});
