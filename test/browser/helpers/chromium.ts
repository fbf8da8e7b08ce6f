// Debian's Chromium driven by playwright-core: one browser per test file, a fresh profile each
// launch. Where Chromium is missing the suite is skipped with an install hint, except under CI,
// where a missing browser fails.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import { describe, it } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const IN_CI = Boolean(process.env.CI) && process.env.CI !== "false" && process.env.CI !== "0";
const INSTALL_HINT = `Chromium is not at ${CHROMIUM}: install it with "sudo apt-get install -y chromium" (Debian/Ubuntu) or set CHROMIUM_PATH`;

/**
 * `describe` for a browser suite. Without Chromium it is skipped with a message saying how to
 * install it, so `npm test` passes on a fresh machine; with `CI` set it fails instead.
 */
export function describeInChromium(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, body);
  } else if (IN_CI) {
    describe(name, () => {
      it("finds Chromium (CI is set: a missing browser is a failure, not a skip)", () => {
        throw new Error(INSTALL_HINT);
      });
    });
  } else {
    // The reporter does not print the names of skipped suites: say it on stderr too.
    console.warn(`skipping "${name}": ${INSTALL_HINT}`);
    describe.skip(`${name} [skipped: ${INSTALL_HINT}]`, body);
  }
}

/** Launches headless Chromium with the flags of a quiet, reproducible test browser. */
export function launchChromium(): Promise<Browser> {
  // playwright gives every launch a fresh temporary --user-data-dir of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A fresh context with a fixed viewport, so screenshots are comparable run to run. */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1000, height: 760 }, deviceScaleFactor: 1, locale: "en-GB", timezoneId: "UTC" });
}

/** `test-results/browser/<name>/`, created if missing (gitignored). */
export function outputDir(name: string): string {
  const dir = join(process.cwd(), "test-results", "browser", name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
