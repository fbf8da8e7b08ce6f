// The hostile-input properties through tRPC (fetch adapter) and GraphQL Yoga: any cookies and
// headers give the call's normal answer or a 401 carrying a session code, never a 500 and never
// a forged acceptance. Plus the named attacks that matter most at the framework layer.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { adapterProperties, trpcApp, yogaApp } from "./adapter-properties.js";
import { b64json, decode } from "./forge.js";
import { guardProcess } from "./process-guard.js";
import { ORIGIN, type Target, createTarget } from "./target.js";

const RUNS = Number(process.env.SECURITY_RUNS ?? 60);

guardProcess();

let db: TestDb;
const targets: Target[] = [];
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  for (const t of targets) await t.close();
  await db?.close();
});

for (const framework of ["trpc", "graphql"] as const) {
  describe(framework, () => {
    for (const options of [{}, { antiCsrf: "via-token" as const, revocation: "check-database" as const }]) {
      it(`hostile headers: 401 with a session code or the normal answer, never 500 (${JSON.stringify(options)})`, async () => {
        const target = createTarget(db, options);
        targets.push(target);
        await fc.assert(adapterProperties(target, framework).property, { numRuns: RUNS });
      });
    }

    it("alg none, a changed payload and a cross-site mutation are 401, not 500 or 200", async () => {
      const target = createTarget(db);
      targets.push(target);
      const user = await target.login();
      const app = framework === "trpc" ? trpcApp(target.sessions) : yogaApp(target.sessions);
      const { header, payload, signature } = decode(user.accessToken);
      const forged = [
        `${b64json({ ...header, alg: "none" })}.${b64json(payload)}.`,
        `${b64json(header)}.${b64json({ ...payload, sub: "admin" })}.${signature}`,
      ];
      const query = (token: string) =>
        framework === "trpc"
          ? new Request(`${ORIGIN}/trpc/me`, { headers: { cookie: `sAccessToken=${token}` } })
          : new Request(`${ORIGIN}/graphql`, {
              method: "POST",
              headers: { cookie: `sAccessToken=${token}`, "content-type": "application/json" },
              body: JSON.stringify({ query: "{ me }" }),
            });
      for (const token of forged) {
        const response = await app(query(token));
        expect(response.status).toBe(401);
        expect(await response.text()).toContain("TRY_REFRESH_TOKEN");
      }
      expect((await app(query(user.accessToken))).status).toBe(200);
      // Cross-site: cookies only, no rid header.
      const mutation =
        framework === "trpc"
          ? new Request(`${ORIGIN}/trpc/touch`, {
              method: "POST",
              headers: { cookie: `sAccessToken=${user.accessToken}`, "content-type": "application/json" },
              body: "{}",
            })
          : new Request(`${ORIGIN}/graphql`, {
              method: "POST",
              headers: { cookie: `sAccessToken=${user.accessToken}`, "content-type": "application/json" },
              body: JSON.stringify({ query: "mutation { touch }" }),
            });
      const csrf = await app(mutation);
      expect(csrf.status).toBe(401);
      expect(await csrf.text()).toContain("TRY_REFRESH_TOKEN");
      expect((await target.sessions.getSessionInformation(user.handle))?.sessionData).toEqual({});
    });
  });
}
