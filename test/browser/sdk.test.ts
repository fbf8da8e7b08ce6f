// The unmodified SuperTokens frontend SDK (supertokens-web-js 0.16.0, its browser bundle) in
// headless Chromium against sessionkit, with the default anti-CSRF mode: every step, with the
// page and the API on one origin (fetch handlers) and on two (Node middleware, CORS).

import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { type TestDb, createTestDb } from "../helpers/db.js";
import { describeInChromium, launchChromium } from "./helpers/chromium.js";
import { ALL_STEPS, sdkSteps } from "./helpers/sdk-scenarios.js";

describeInChromium("supertokens-web-js in Chromium, anti-CSRF via-custom-header", () => {
  let browser: Browser;
  let db: TestDb;
  beforeAll(async () => {
    [browser, db] = await Promise.all([launchChromium(), createTestDb()]);
  });
  afterAll(async () => {
    await browser?.close();
    await db?.close();
  });
  const env = { browser: () => browser, db: () => db };

  sdkSteps({ antiCsrf: "via-custom-header", crossOrigin: false, adapter: "fetch" }, ALL_STEPS, env);
  sdkSteps({ antiCsrf: "via-custom-header", crossOrigin: true, adapter: "node" }, ALL_STEPS, env);
});
