// Property tests: random cookies, tokens and headers on every route, through the fetch app and
// node:http, under each anti-CSRF and revocation mode. `npm run fuzz` runs the same properties
// with 10,000+ cases each.

import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { startNodeApp } from "./node-app.js";
import { type HostileProperty, hostileProperties, viaFetch, viaNode } from "./properties.js";
import { guardProcess } from "./process-guard.js";
import { type Target, createTarget } from "./target.js";

/** Cases per property in `npm test`; `npm run fuzz` runs far more. */
const RUNS = Number(process.env.SECURITY_RUNS ?? 60);

guardProcess();

let db: TestDb;
const targets: Target[] = [];
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  for (const close of closers) await close();
  for (const t of targets) await t.close();
  await db?.close();
});

function suite(label: string, make: () => Promise<HostileProperty[]>) {
  describe(label, () => {
    let properties: HostileProperty[] = [];
    beforeAll(async () => {
      properties = await make();
    });
    for (const name of ["protected routes", "POST /auth/session/refresh", "POST /auth/signout", "own routes, other methods"]) {
      it(`${name}: 401 with the right code or the normal answer, never 500`, async () => {
        const p = properties.find((x) => x.name.endsWith(name));
        if (!p) throw new Error(`no property ${name}`);
        await fc.assert(p.property, { numRuns: RUNS });
      });
    }
  });
}

suite("fetch app, defaults (via-custom-header, revocation none)", async () => {
  const target = createTarget(db);
  targets.push(target);
  return hostileProperties(target, viaFetch(target), "fetch");
});

suite("fetch app, via-token anti-CSRF, check-database revocation", async () => {
  const target = createTarget(db, { antiCsrf: "via-token", revocation: "check-database" });
  targets.push(target);
  return hostileProperties(target, viaFetch(target), "fetch via-token");
});

suite("node:http middleware, raw TCP", async () => {
  const target = createTarget(db, { revocation: "notify" });
  targets.push(target);
  const node = await startNodeApp(target.sessions);
  closers.push(node.close);
  return hostileProperties(target, viaNode(node.port), "node");
});
