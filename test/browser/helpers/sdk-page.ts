// The Node side of an SDK test page: calls into `window.sk` (sdk-client.ts), and a log of what
// crossed the wire between the browser and the API (request and response headers, bodies), as
// Chromium saw it.

import type { BrowserContext, Page, Response } from "playwright-core";
import type { Outcome, PageApi } from "./sdk-client.js";

/** One API exchange as the browser saw it. */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  request: Record<string, string>;
  response: Record<string, string>;
  setCookies: string[];
}

const API_PATH = /^\/(auth|trpc|graphql)(\/|$)/;

/** Every API response a browser context received, in order of arrival. */
export class WireLog {
  readonly exchanges: Exchange[] = [];
  readonly #pending = new Set<Promise<void>>();

  constructor(context: BrowserContext, apiOrigin: string) {
    context.on("response", (response) => {
      const url = new URL(response.url());
      if (url.origin !== apiOrigin || !API_PATH.test(url.pathname)) return;
      const recording = this.#record(response);
      this.#pending.add(recording);
      void recording.finally(() => this.#pending.delete(recording));
    });
  }

  async #record(response: Response): Promise<void> {
    const request = response.request();
    // No body here: Chromium never hands over the body of a response the page left unread (the
    // SDK's refresh probe), so bodies are taken on the server (`SdkServer.served`).
    const [requestHeaders, responseHeaders] = await Promise.all([request.allHeaders(), response.headersArray()]);
    const headers: Record<string, string> = {};
    for (const { name, value } of responseHeaders) if (name.toLowerCase() !== "set-cookie") headers[name.toLowerCase()] = value;
    this.exchanges.push({
      method: request.method(),
      path: new URL(response.url()).pathname,
      status: response.status(),
      request: requestHeaders,
      response: headers,
      setCookies: responseHeaders.filter((h) => h.name.toLowerCase() === "set-cookie").flatMap((h) => h.value.split("\n")),
    });
  }

  /** The exchanges so far, once those in flight are recorded. */
  async settled(): Promise<Exchange[]> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    return this.exchanges;
  }

  /** Forgets what was recorded so far. */
  async clear(): Promise<void> {
    await this.settled();
    this.exchanges.length = 0;
  }
}

/** Decodes a `front-token` header (standard base64 of UTF-8 JSON, WIRE.md). */
export function decodeFrontToken(value: string): { uid: string; ate: number; up: Record<string, unknown> } {
  assertStandardBase64(value);
  return JSON.parse(Buffer.from(value, "base64").toString("utf8"));
}

function assertStandardBase64(value: string): void {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0)
    throw new Error(`front-token is not padded standard base64: ${value}`);
}

type Api = PageApi;
type Method = { [K in keyof Api]: Api[K] extends (...args: never[]) => unknown ? K : never }[keyof Api];

/** A page that has loaded the SDK and sdk-client.ts. */
export class SdkPage {
  private constructor(
    readonly page: Page,
    readonly wire: WireLog,
  ) {}

  /** Opens the test page in `context`; `wire` is the context's log (one per context). */
  static async open(context: BrowserContext, pageUrl: string, wire: WireLog): Promise<SdkPage> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(pageUrl);
    await page
      .waitForFunction(() => document.getElementById("ready")?.textContent === "ready", undefined, { timeout: 10_000 })
      .catch(() => {
        throw new Error(`the SDK page did not start: ${errors.join("; ") || "no page error"}`);
      });
    return new SdkPage(page, wire);
  }

  /** Calls `window.sk[name](...args)` in the page. */
  call<K extends Method>(name: K, ...args: Parameters<Api[K]>): Promise<Awaited<ReturnType<Api[K]>>> {
    return this.page.evaluate(
      ([n, a]) => {
        const api = (window as unknown as { sk: Record<string, (...x: unknown[]) => unknown> }).sk;
        return api[n as string]!(...(a as unknown[]));
      },
      [name, args] as const,
    ) as Promise<Awaited<ReturnType<Api[K]>>>;
  }

  whoami(batch = false): Promise<Outcome> {
    return this.call("whoami", batch);
  }

  exists(): Promise<boolean> {
    return this.page.evaluate(() => (window as unknown as { sk: PageApi }).sk.st.doesSessionExist());
  }

  userId(): Promise<string> {
    return this.page.evaluate(() => (window as unknown as { sk: PageApi }).sk.st.getUserId());
  }

  payload(): Promise<Record<string, unknown>> {
    return this.page.evaluate(() => (window as unknown as { sk: PageApi }).sk.st.getAccessTokenPayloadSecurely());
  }

  signOut(): Promise<void> {
    return this.page.evaluate(() => (window as unknown as { sk: PageApi }).sk.st.signOut());
  }

  attemptRefresh(): Promise<boolean> {
    return this.page.evaluate(() => (window as unknown as { sk: PageApi }).sk.st.attemptRefreshingSession());
  }
}
