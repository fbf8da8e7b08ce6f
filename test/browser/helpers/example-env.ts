// The tRPC example app (examples/trpc) served to Chromium for one browser test file: one browser,
// one test database, the app, its server, and the browser contexts the tests open, all closed
// after the file. With `clock`, the server's clock moves by POST /__test/clock?advance=<ms>
// (test-only) and each page's own clock is installed at the same time.

import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { type App, type AppOptions, createApp } from "../../../examples/trpc/app.js";
import { serveFetch } from "../../../examples/trpc/serve.js";
import { type TestDb, createTestDb } from "../../helpers/db.js";
import { listen } from "../../trpc/harness.js";
import { launchChromium, newContext, outputDir } from "./chromium.js";
import { ExamplePage } from "./example-page.js";

export interface ExampleEnvOptions extends Omit<AppOptions, "db" | "log"> {
  /** Serve the test-only clock route and install each page's clock with the server's time. */
  clock?: boolean;
}

export interface ExampleEnv {
  browser(): Browser;
  app(): App;
  /** The server's base URL, e.g. http://127.0.0.1:PORT. */
  url(): string;
  /** test-results/browser/<name>/, where ExamplePage saves its screenshots. */
  readonly dir: string;
  /** A fresh browser context, closed after the file. */
  newContext(): Promise<BrowserContext>;
  /** A fresh context with the example page open on `/` (screenshots prefixed by `prefix`). */
  open(prefix?: string): Promise<{ context: BrowserContext; ui: ExamplePage }>;
}

/** Registers the hooks in the calling `describe`; `name` names the screenshot folder. */
export function exampleEnv(name: string, options: ExampleEnvOptions = {}): ExampleEnv {
  const { clock = false, sessionsOptions, ...appOptions } = options;
  let browser: Browser | undefined;
  let db: TestDb | undefined;
  let app: App | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;
  let offset = 0;
  const contexts: BrowserContext[] = [];
  const dir = outputDir(name);

  beforeAll(async () => {
    [browser, db] = await Promise.all([launchChromium(), createTestDb()]);
    const started = await createApp({
      ...appOptions,
      db: db.db,
      log: () => {},
      sessionsOptions: clock ? { ...sessionsOptions, now: () => Date.now() + offset } : sessionsOptions,
    });
    app = started;
    server = await listen(
      serveFetch(async (request, connection) => {
        if (!clock) return started.fetch(request, connection);
        const url = new URL(request.url);
        if (url.pathname !== "/__test/clock") return started.fetch(request, connection);
        offset += Number(url.searchParams.get("advance"));
        return new Response(null, { status: 204 });
      }),
    );
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
    await app?.close();
    await db?.close();
  });

  const open = <T>(what: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`the example's ${what} is not open (used outside a test of this describe block?)`);
    return value;
  };
  const env: ExampleEnv = {
    browser: () => open("browser", browser),
    app: () => open("app", app),
    url: () => open("server", server).url,
    dir,
    async newContext() {
      const context = await newContext(env.browser());
      contexts.push(context);
      return context;
    },
    async open(prefix = "") {
      const context = await env.newContext();
      // The page's own clock (its "expires in" countdown) moves with the server's.
      if (clock) await context.clock.install({ time: Date.now() + offset });
      const page = await context.newPage();
      await page.goto(`${env.url()}/`);
      return { context, ui: new ExamplePage(page, dir, prefix) };
    },
  };
  return env;
}
