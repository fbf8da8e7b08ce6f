// The request and response shapes the core accepts: fetch Request/Headers, and Node's
// IncomingMessage/ServerResponse, described structurally so the core imports no Node types.

import { SessionError } from "./errors.js";
import { setCookieName } from "./cookies.js";
import type { TransferMethod } from "./header-transport.js";

/** Anything with headers that can be read: a fetch `Request`, a Node `IncomingMessage`, or `{ headers }`. */
export type SessionRequest =
  | { readonly headers: { get(name: string): string | null }; readonly method?: string; readonly url?: string }
  | {
      readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
      readonly method?: string | undefined;
      readonly url?: string | undefined;
    };

/** The minimal Node `ServerResponse` surface sessionkit writes to. */
export interface NodeResponseLike {
  setHeader(name: string, value: string | readonly string[]): unknown;
  getHeader(name: string): unknown;
  removeHeader(name: string): unknown;
  readonly headersSent?: boolean;
}

/** Where session cookies and headers go: a fetch `Headers` that will leave with the response, or a Node `ServerResponse`. */
export type SessionResponse = Headers | NodeResponseLike;

/** Reads one request header as a string (first value for repeated Node headers; Cookie values joined). */
export function readHeader(request: SessionRequest, name: string): string | undefined {
  const headers = (request as { headers?: unknown }).headers;
  if (headers === null || typeof headers !== "object") return undefined;
  if (typeof (headers as { get?: unknown }).get === "function") {
    const value = (headers as { get(name: string): string | null }).get(name);
    return typeof value === "string" ? value : undefined;
  }
  const raw = (headers as Record<string, unknown>)[name.toLowerCase()];
  if (typeof raw === "string") return raw;
  if (Array.isArray(raw)) {
    const strings = raw.filter((v): v is string => typeof v === "string");
    if (strings.length === 0) return undefined;
    return name.toLowerCase() === "cookie" ? strings.join("; ") : strings[0];
  }
  return undefined;
}

export function requestMethod(request: SessionRequest): string {
  const method = (request as { method?: unknown }).method;
  return typeof method === "string" ? method.toUpperCase() : "GET";
}

const PLAIN_PATH = /^(?:\/(?!\/)[A-Za-z0-9_~.-]*)+$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/** The path of the request URL (absolute for fetch, path-only for Node), or "/" when unparsable. */
export function requestPath(request: SessionRequest): string {
  const url = (request as { url?: unknown }).url;
  if (typeof url !== "string") return "/";
  // A Node request's plain path (no query, escapes, dot segments or "//") is its own pathname:
  // no URL to parse on every request that passes the middleware.
  if (PLAIN_PATH.test(url) && !DOT_SEGMENT.test(url)) return url;
  try {
    return new URL(url, "http://localhost").pathname;
  } catch {
    return "/";
  }
}

const sentResponses = new WeakSet<object>();

/** Marks a response as gone: later session calls that need to set cookies on it fail loudly. */
export function markResponseSent(response: SessionResponse): void {
  sentResponses.add(response);
}

function isFetchHeaders(response: SessionResponse): response is Headers {
  return typeof (response as Headers).getSetCookie === "function" && typeof (response as Headers).append === "function";
}

function isSent(response: SessionResponse): boolean {
  return sentResponses.has(response) || (response as NodeResponseLike).headersSent === true;
}

/** Writes headers and cookies to one response, replacing only the cookies sessionkit itself set. */
export class ResponseWriter {
  /** `transfer`: how the session on this response sends its tokens (cookies, or header mode's headers). */
  constructor(
    readonly target: SessionResponse,
    readonly transfer: TransferMethod = "cookie",
  ) {}

  get sent(): boolean {
    return isSent(this.target);
  }

  /** Throws before any side effect when the response has already gone out. */
  assertOpen(action: string): void {
    if (this.sent) {
      throw new SessionError(
        "GENERAL_ERROR",
        `sessionkit: cannot ${action}: the response has already been sent, so its cookies would be lost. ` +
          "Call it before the response starts (with tRPC, avoid httpBatchStreamLink for such procedures).",
      );
    }
  }

  setCookie(line: string): void {
    const name = setCookieName(line);
    const target = this.target;
    if (isFetchHeaders(target)) {
      const existing = target.getSetCookie();
      if (existing.some((l) => setCookieName(l) === name)) {
        target.delete("set-cookie");
        for (const l of existing) if (setCookieName(l) !== name) target.append("set-cookie", l);
      }
      target.append("set-cookie", line);
      return;
    }
    const current = target.getHeader("set-cookie");
    if (current === undefined) {
      target.setHeader("set-cookie", [line]);
      return;
    }
    const list = Array.isArray(current) ? current.map(String) : [String(current)];
    target.setHeader("set-cookie", [...list.filter((l) => setCookieName(l) !== name), line]);
  }

  /**
   * `setCookie` of each line in turn, for lines of distinct names (the access and refresh cookies):
   * on a Node response one read and one write of Set-Cookie instead of two of each, the same header.
   */
  setCookies(lines: readonly [string, string]): void {
    const target = this.target;
    const current = isFetchHeaders(target) ? undefined : target.getHeader("set-cookie");
    if (isFetchHeaders(target) || current !== undefined) {
      for (const line of lines) this.setCookie(line);
      return;
    }
    target.setHeader("set-cookie", [lines[0], lines[1]]);
  }

  setHeader(name: string, value: string): void {
    if (isFetchHeaders(this.target)) this.target.set(name, value);
    else this.target.setHeader(name, value);
  }

  removeHeader(name: string): void {
    if (isFetchHeaders(this.target)) this.target.delete(name);
    else this.target.removeHeader(name);
  }

  /** Adds names to a comma-separated header such as Access-Control-Expose-Headers, once each. */
  addToList(name: string, values: readonly string[]): void {
    const target = this.target;
    const current = isFetchHeaders(target) ? target.get(name) : target.getHeader(name);
    if (typeof current !== "string" || current.length === 0) {
      // Not set yet (the usual case: once per response): no list to split and compare against.
      const fresh: string[] = [];
      for (const v of values) if (!fresh.some((f) => f.toLowerCase() === v.toLowerCase())) fresh.push(v);
      this.setHeader(name, fresh.join(", "));
      return;
    }
    const items = current.split(",").map((s) => s.trim());
    const lower = new Set(items.map((s) => s.toLowerCase()));
    for (const v of values) if (!lower.has(v.toLowerCase())) items.push(v);
    this.setHeader(name, items.join(", "));
  }
}
