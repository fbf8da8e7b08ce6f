// One browser and one test database per browser test file, opened before its tests and closed
// after them: the set-up every SDK suite shares.

import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { type TestDb, createTestDb } from "../../helpers/db.js";
import { launchChromium } from "./chromium.js";

export interface BrowserEnv {
  browser(): Browser;
  db(): TestDb;
}

/** Registers the hooks in the calling `describe` and returns getters for the opened browser and database. */
export function browserEnv(): BrowserEnv {
  let browser: Browser | undefined;
  let db: TestDb | undefined;
  beforeAll(async () => {
    [browser, db] = await Promise.all([launchChromium(), createTestDb()]);
  });
  afterAll(async () => {
    await browser?.close();
    await db?.close();
  });
  return {
    browser: () => browser ?? failNotOpen("browser"),
    db: () => db ?? failNotOpen("database"),
  };
}

function failNotOpen(what: string): never {
  throw new Error(`the test ${what} is not open (used outside a test of this describe block?)`);
}
