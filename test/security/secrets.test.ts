// Secrets stay secret: no access or refresh token, refresh secret, server secret or private key
// material appears in an error, a log line, a response body or the JSON of a public object,
// including when the store fails. Scans for the actual strings.

import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Session, type Sessions, createSessions, isSessionError } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { keyMaterial } from "./forge.js";
import { guardProcess } from "./process-guard.js";
import { type Genuine, type Target, createTarget, rawRequest } from "./target.js";

guardProcess();

const SERVER_SECRET = "correct-horse-battery-staple-0123456789-server-secret";
/** A private JWK member written out, as a query parameter or a dump would show it. */
const PRIVATE_MEMBER = /"(d|p|q|dp|dq|qi|k)"\s*:\s*"/;

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.close());

/** Everything a deployment says or shows: console output, warnings, bodies, errors, public JSON. */
function recorder() {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug", "trace"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 10 }))).join(" "));
    }),
  );
  return {
    lines,
    add: (value: unknown) =>
      lines.push(typeof value === "string" ? value : `${inspect(value, { depth: 10, showHidden: true })}\n${safeJson(value)}`),
    restore: () => {
      for (const s of spies) s.mockRestore();
    },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

function tokenParts(user: Genuine, t: Target): string[] {
  const { accessToken, refreshToken } = t.tokensOf(user.client);
  const out = [user.accessToken, user.refreshToken, accessToken, refreshToken];
  for (const r of [user.refreshToken, refreshToken]) {
    const [, , secret, tag] = r.split(".");
    if (secret) out.push(secret);
    if (tag) out.push(tag);
  }
  if (user.antiCsrf) out.push(user.antiCsrf);
  return out.filter((s) => s.length >= 16);
}

function leaks(text: string, secrets: readonly string[]): string[] {
  const found = secrets.filter((s) => text.includes(s)).map((s) => `${s.slice(0, 8)}…`);
  if (PRIVATE_MEMBER.test(text)) found.push("a private JWK member");
  if (text.includes(SERVER_SECRET)) found.push("the server secret");
  return found;
}

describe("no secret in logs, errors, bodies or public JSON", () => {
  const restore: Array<() => void> = [];
  afterEach(() => {
    for (const r of restore.splice(0)) r();
  });

  for (const options of [
    { antiCsrf: "via-token" as const, revocation: "check-database" as const },
    { secret: SERVER_SECRET, revocation: "notify" as const },
  ]) {
    it(`across every flow and failure (${JSON.stringify(options).replace(SERVER_SECRET, "…")})`, async () => {
      const rec = recorder();
      restore.push(rec.restore);
      const target = createTarget(db, { ...options, onWarning: (message, error) => rec.add([message, error]) });
      const { app, sessions } = target;
      const secrets: string[] = [];
      const record = async (response: Response) => rec.add(await response.text());
      try {
        const user = await target.login({ role: "member" });
        const other = await target.login();
        const old = user.refreshToken;
        await record(await user.client.call("/me"));
        await record(await user.client.refresh());
        await record(await user.client.call("/payload", { body: { plan: "pro" } }));
        await record(await user.client.call("/data", { body: { cart: [1, 2] } }));
        await record(await user.client.call("/data"));
        await record(await user.client.call("/modify", { method: "POST" }));
        // Failures: bad tokens, CSRF, theft, revoked session.
        for (const cookie of [`sAccessToken=${old}`, `sAccessToken=${user.accessToken.slice(0, -2)}`, "sAccessToken=garbage"]) {
          await record(await app(rawRequest("/me", { headers: [["cookie", cookie]] })));
        }
        await record(await other.client.call("/data", { body: {}, rid: false, antiCsrf: false }));
        target.clock.now += 11_000;
        await record(
          await app(
            rawRequest("/auth/session/refresh", {
              method: "POST",
              headers: [
                ["cookie", `sRefreshToken=${old}`],
                ["rid", "session"],
              ],
            }),
          ),
        );
        await record(await user.client.call("/me"));
        await record(await other.client.call("/auth/signout", { method: "POST" }));
        // Errors thrown to application code, and the public objects.
        for (const cookie of [`sAccessToken=${user.accessToken}`, `sAccessToken=${other.accessToken}x`, ""]) {
          try {
            await sessions.getSession(new Request("http://x/", { method: "POST", headers: { cookie } }), new Headers());
          } catch (error) {
            expect(isSessionError(error)).toBe(true);
            rec.add(error);
            rec.add(String(error));
          }
        }
        const third = await target.login({ role: "x" });
        const headers = new Headers();
        const session = (await sessions.getSession(
          rawRequest("/me", { headers: [["cookie", `sAccessToken=${third.accessToken}`]] }),
          headers,
        )) as Session;
        rec.add(session);
        rec.add(sessions);
        rec.add(await sessions.getSessionInformation(third.handle));
        rec.add(await sessions.getAllSessionHandlesForUser(third.userId));
        rec.add(await sessions.jwks());
        secrets.push(...tokenParts(user, target), ...tokenParts(other, target), ...tokenParts(third, target), ...(await keyMaterial(db)));
        expect(secrets.length).toBeGreaterThan(10);
        // The scan can see a secret when one is there.
        expect(leaks(`x${third.accessToken}x`, secrets)).not.toEqual([]);
        expect(leaks(rec.lines.join("\n"), secrets)).toEqual([]);
      } finally {
        await target.close();
      }
    });
  }
});

describe("no secret when the store fails", () => {
  // A keyless database of its own: the first test needs key creation to fail.
  let fresh: TestDb;
  beforeAll(async () => {
    fresh = await createTestDb();
  });
  afterAll(() => fresh?.close());

  /** Makes one table refuse writes with a real database error (works on Postgres and PGlite). */
  async function refuseWrites(t: TestDb, table: string) {
    await t.exec(`
      CREATE OR REPLACE FUNCTION sk_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER sk_refuse BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION sk_refuse();`);
    return () => t.exec(`DROP TRIGGER sk_refuse ON ${table}`);
  }

  it("a failed key insert (GENERAL_ERROR) does not carry the new private or refresh key", async () => {
    const rec = recorder();
    const randoms: string[] = [];
    let sessions: Sessions | undefined;
    const allow = await refuseWrites(fresh, "sessionkit_keys");
    try {
      sessions = createSessions({
        store: drizzleStore(fresh.db),
        onWarning: (message, error) => rec.add([message, error]),
        randomBytes: (n) => {
          const bytes = crypto.getRandomValues(new Uint8Array(n));
          randoms.push(Buffer.from(bytes).toString("base64url"));
          return bytes;
        },
      });
      let caught: unknown;
      try {
        await sessions.createNewSession({ userId: "u" }, new Headers());
      } catch (error) {
        caught = error;
      }
      expect(isSessionError(caught) && caught.code).toBe("GENERAL_ERROR");
      rec.add(caught);
      rec.add(String(caught));
      rec.add(String((caught as Error).cause));
      const response = await sessions.handle(new Request("http://x/auth/jwt/jwks.json"));
      expect(response?.status).toBe(500);
      rec.add(await response?.text());
      const text = rec.lines.join("\n");
      expect(text).toContain("refused by test");
      expect(
        leaks(
          text,
          randoms.filter((r) => r.length >= 40),
        ),
      ).toEqual([]);
    } finally {
      rec.restore();
      await sessions?.close();
      await allow();
    }
  });

  it("a failed session insert or refresh update does not carry tokens or secrets", async () => {
    const rec = recorder();
    const target = createTarget(fresh, { onWarning: (message, error) => rec.add([message, error]) });
    const user = await target.login();
    const allow = await refuseWrites(fresh, "sessionkit_sessions");
    try {
      const refresh = await user.client.refresh();
      expect(refresh.status).toBe(500);
      rec.add(await refresh.text());
      try {
        await target.sessions.createNewSession({ userId: "v", sessionData: { note: "x" } }, new Headers());
      } catch (error) {
        rec.add(error);
      }
      const text = rec.lines.join("\n");
      expect(text).toContain("refused by test");
      expect(leaks(text, [...tokenParts(user, target), ...(await keyMaterial(fresh))])).toEqual([]);
    } finally {
      rec.restore();
      await target.close();
      await allow();
    }
  });
});

describe("the JWKS", () => {
  for (const algorithm of ["RS256", "ES256", "EdDSA"] as const) {
    it(`holds public members only (${algorithm}, across a key rotation)`, async () => {
      const target = createTarget(db, { algorithm, keyRotationInterval: 3600 });
      try {
        await target.login();
        target.clock.now += 3600_000;
        await target.login();
        const response = await target.app(rawRequest("/auth/jwt/jwks.json"));
        const { keys } = (await response.json()) as { keys: Array<Record<string, unknown>> };
        expect(keys.filter((k) => k.alg === algorithm).length).toBeGreaterThanOrEqual(2);
        for (const key of keys) {
          for (const member of ["d", "p", "q", "dp", "dq", "qi", "k", "oth"]) expect(key).not.toHaveProperty(member);
          expect(key.use).toBe("sig");
        }
        expect(leaks(JSON.stringify(keys), await keyMaterial(db))).toEqual([]);
      } finally {
        await target.close();
      }
    });
  }
});
