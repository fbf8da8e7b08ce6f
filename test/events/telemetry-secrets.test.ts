// OpenTelemetry keeps no secret: no token, key, payload, session data, user id or handle in a span
// or a metric. Shared setup: telemetry-setup.ts.

import { describe, expect, it } from "vitest";
import type { DbKind, TestDb } from "../helpers/db.js";
import { uniqueName } from "../trpc/harness.js";
import { dbs, finished, instance, kinds, sdk, twin, useTelemetry } from "./telemetry-setup.js";

useTelemetry([kinds[0] as DbKind]);

describe("no secret in a span or a metric", () => {
  it("holds no token, refresh secret, anti-CSRF token, key, payload, session data, user id or handle", async () => {
    const db = dbs.get(kinds[0] as DbKind) as TestDb;
    // Keys kept in plaintext (no secret), so the scan below looks for the private key material itself.
    const t = instance(db, { antiCsrf: "via-token", onWarning: () => {} });
    try {
      sdk.spans.reset();
      const client = t.client();
      const userId = uniqueName("otel-private-user");
      const reply = await client.call("/login", { body: { userId, payload: { plan: "private-plan" }, data: { note: "private-note" } } });
      const { handle } = (await reply.json()) as { handle: string };
      const first = [client.jar.get("sAccessToken") ?? "", client.jar.get("sRefreshToken") ?? "", client.antiCsrf ?? ""];
      const thief = twin(t, client);
      expect((await client.refresh()).status).toBe(200);
      const second = [client.jar.get("sAccessToken") ?? "", client.jar.get("sRefreshToken") ?? ""];
      t.clock.advance(11_000);
      expect((await thief.refresh()).status).toBe(401);
      const keyText = JSON.stringify(await db.exec("SELECT private_jwk FROM sessionkit_keys"));
      const keyParts = [...keyText.matchAll(/[A-Za-z0-9_-]{32,}/g)].map((m) => m[0]);
      const text =
        JSON.stringify(finished().map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events }))) +
        JSON.stringify(
          (await sdk.collect()).metrics.map((m) => ({ name: m.descriptor.name, points: m.dataPoints.map((p) => p.attributes) })),
        );
      const secrets = [...first, ...second, ...[...first, ...second].flatMap((v) => v.split("."))].filter((s) => s.length >= 16);
      expect(secrets.length).toBeGreaterThan(6);
      expect(keyParts.length).toBeGreaterThan(0);
      expect([...secrets, ...keyParts].filter((s) => text.includes(s))).toEqual([]);
      for (const word of ["private-plan", "private-note", userId, handle]) expect(text).not.toContain(word);
      expect(finished().length).toBeGreaterThan(4);
    } finally {
      await t.sessions.close();
    }
  });
});
