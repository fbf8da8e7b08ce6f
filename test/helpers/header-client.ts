// A client that behaves like the SuperTokens SDK with `tokenTransferMethod: "header"`
// (supertokens-website lib/ts/fetch.ts): sends `st-auth-mode: header`, `rid`, and
// `Authorization: Bearer <access>` (the refresh token on refresh) once it holds both tokens;
// keeps every `st-access-token`/`st-refresh-token` a response hands out, an empty one clears it,
// and `front-token: remove` clears everything.

import type { CallOptions } from "./app.js";

export class HeaderClient {
  accessToken: string | undefined;
  refreshToken: string | undefined;
  frontToken: string | undefined;

  constructor(
    private readonly app: (request: Request) => Promise<Response>,
    private readonly origin = "http://localhost:3000",
  ) {}

  async call(path: string, options: CallOptions & { authorization?: string | null } = {}): Promise<Response> {
    const method = options.method ?? (options.body === undefined ? "GET" : "POST");
    const refresh = path.endsWith("/session/refresh");
    const headers = new Headers(options.headers);
    if (options.rid !== false) headers.set("rid", path.includes("/auth/") ? "session" : "anti-csrf");
    headers.set("st-auth-mode", "header");
    const token = refresh ? this.refreshToken : this.accessToken;
    if (options.authorization !== undefined) {
      if (options.authorization !== null) headers.set("authorization", options.authorization);
    } else if ((refresh || this.accessToken !== undefined) && this.refreshToken !== undefined && token !== undefined) {
      headers.set("authorization", `Bearer ${token}`);
    }
    if (options.body !== undefined) headers.set("content-type", "application/json");
    const response = await this.app(
      new Request(`${this.origin}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      }),
    );
    this.observe(response);
    return response;
  }

  /** saveTokensFromHeaders + FrontToken.setItem of supertokens-website. */
  observe(response: Response): void {
    const refresh = response.headers.get("st-refresh-token");
    if (refresh !== null) this.refreshToken = refresh === "" ? undefined : refresh;
    const access = response.headers.get("st-access-token");
    if (access !== null) this.accessToken = access === "" ? undefined : access;
    const front = response.headers.get("front-token");
    if (front === "remove") {
      this.frontToken = undefined;
      this.accessToken = undefined;
      this.refreshToken = undefined;
    } else if (front !== null) this.frontToken = front;
  }

  refresh(options: CallOptions = {}): Promise<Response> {
    return this.call("/auth/session/refresh", { method: "POST", ...options });
  }

  front(): { uid: string; ate: number; up: Record<string, unknown> } | undefined {
    return this.frontToken === undefined ? undefined : JSON.parse(Buffer.from(this.frontToken, "base64").toString("utf8"));
  }
}
