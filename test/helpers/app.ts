// A tiny fetch application on the core API, and a client with a cookie jar that behaves like
// the SuperTokens SDK (rid header, front-token and anti-csrf kept), for flow tests.

import { type Sessions, isSessionError } from "../../src/index.js";
import { CookieJar } from "./jar.js";

function json(status: number, body: unknown, headers = new Headers()): Response {
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers });
}

/** Routes: /login, /me, /optional, /data (GET/POST), /modify, /payload, /revoke, plus sessionkit's own. */
export function createTestApp(sessions: Sessions) {
  return async (request: Request): Promise<Response> => {
    const own = await sessions.handle(request);
    if (own) return own;
    const headers = new Headers();
    const { pathname } = new URL(request.url);
    try {
      const body = request.method === "POST" ? await request.json().catch(() => ({})) : undefined;
      switch (pathname) {
        case "/login": {
          const s = await sessions.createNewSession(
            { userId: body.userId, jwtPayload: body.payload, sessionData: body.data },
            headers,
            request,
          );
          return json(200, { handle: s.getHandle() }, headers);
        }
        case "/me": {
          const s = await sessions.getSession(request, headers);
          return json(200, { userId: s.getUserId(), handle: s.getHandle(), payload: s.getJWTPayload() }, headers);
        }
        case "/optional": {
          const s = await sessions.getSession(request, headers, { sessionRequired: false });
          return json(200, { userId: s?.getUserId() ?? null }, headers);
        }
        case "/data": {
          const s = await sessions.getSession(request, headers);
          if (request.method === "POST") {
            await s.updateSessionData(body);
            return json(200, { ok: true }, headers);
          }
          return json(200, { data: await s.getSessionData() }, headers);
        }
        case "/modify": {
          const s = await sessions.getSession(request, headers);
          const data = await s.modifySessionData<{ n?: number }>((d) => ({ ...d, n: (d?.n ?? 0) + 1 }));
          return json(200, { data }, headers);
        }
        case "/payload": {
          const s = await sessions.getSession(request, headers);
          await s.updateJWTPayload({ ...s.getJWTPayload(), ...body });
          return json(200, { payload: s.getJWTPayload() }, headers);
        }
        case "/revoke": {
          const s = await sessions.getSession(request, headers);
          await s.revokeSession();
          return json(200, { ok: true }, headers);
        }
        default:
          return json(404, { message: "not found" }, headers);
      }
    } catch (error) {
      if (isSessionError(error)) return json(error.status, { code: error.code, message: error.message }, headers);
      return json(500, { message: String(error) }, headers);
    }
  };
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the rid header (default true, as the SDK does). */
  rid?: boolean;
  /** Echo the stored anti-csrf token (default true, as the SDK does). */
  antiCsrf?: boolean;
}

export class TestClient {
  readonly jar: CookieJar;
  frontToken: string | undefined;
  antiCsrf: string | undefined;

  constructor(
    private readonly app: (request: Request) => Promise<Response>,
    now: () => number = Date.now,
    private readonly origin = "http://localhost:3000",
  ) {
    this.jar = new CookieJar(now, new URL(origin).hostname);
  }

  async call(path: string, options: CallOptions = {}): Promise<Response> {
    const method = options.method ?? (options.body === undefined ? "GET" : "POST");
    const headers = new Headers(options.headers);
    const cookie = this.jar.header(path);
    if (cookie) headers.set("cookie", cookie);
    if (options.rid !== false) headers.set("rid", path.includes("/auth/") ? "session" : "anti-csrf");
    if (options.antiCsrf !== false && this.antiCsrf) headers.set("anti-csrf", this.antiCsrf);
    if (options.body !== undefined) headers.set("content-type", "application/json");
    const request = new Request(`${this.origin}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const response = await this.app(request);
    this.jar.store(response);
    const front = response.headers.get("front-token");
    if (front !== null) this.frontToken = front === "remove" ? undefined : front;
    const anti = response.headers.get("anti-csrf");
    if (anti !== null) this.antiCsrf = anti;
    if (front === "remove") this.antiCsrf = undefined;
    return response;
  }

  /** The decoded front-token, as the SDK reads it. */
  front(): { uid: string; ate: number; up: Record<string, unknown> } | undefined {
    return this.frontToken === undefined ? undefined : JSON.parse(Buffer.from(this.frontToken, "base64").toString("utf8"));
  }

  refresh(options: CallOptions = {}): Promise<Response> {
    return this.call("/auth/session/refresh", { method: "POST", ...options });
  }
}
