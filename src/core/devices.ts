// Devices: what a sign-in records about the client (user agent, IP), how the IP is found
// (`trustProxy`), and the summaries `listSessions` returns.

import { type SessionRequest, readHeader } from "./http.js";

/**
 * How the client IP is found: `false` (default) takes the socket's address where the request has
 * one (Node's `IncomingMessage`) and never reads `X-Forwarded-For`; a number trusts that many proxy
 * hops in front of the server and reads `X-Forwarded-For` as Express does; a function decides.
 */
export type TrustProxy = false | number | ((request: SessionRequest) => string | undefined);

/** One of a user's sessions, as `listSessions` returns it. Never holds a token. */
export interface SessionSummary {
  handle: string;
  userId: string;
  createdAt: Date;
  /** Sign-in, then the last refresh. */
  lastActiveAt: Date;
  /** When it ends unless refreshed again (never after the `maxLifetime` cap). */
  expiresAt: Date;
  /** The browser's User-Agent at sign-in, at most 512 characters. */
  userAgent: string | undefined;
  /** The client IP at the last sign-in or refresh, as `trustProxy` finds it. */
  ip: string | undefined;
}

/** What a sign-in or refresh stores about the device. */
export interface Device {
  userAgent: string | undefined;
  ip: string | undefined;
}

const MAX_USER_AGENT = 512;
const MAX_IP = 64;
/** An IPv4 or IPv6 literal (with an optional zone); anything else in a header is not an address. */
const IP_LITERAL = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*(?:%[\w.-]{1,20})?)$/i;

/** The user agent, bounded and without control characters; undefined when absent. */
export function userAgentOf(request: SessionRequest): string | undefined {
  const raw = readHeader(request, "user-agent");
  if (raw === undefined) return undefined;
  // The usual header has no control character: keep it whole instead of rebuilding it char by char.
  let clean = true;
  for (let i = 0; i < raw.length && clean; i++) {
    const code = raw.charCodeAt(i);
    clean = code > 0x1f && code !== 0x7f;
  }
  if (clean) {
    const value = raw.trim();
    return value ? value.slice(0, MAX_USER_AGENT) : undefined;
  }
  let value = "";
  for (const char of raw) {
    const code = char.charCodeAt(0);
    if (code > 0x1f && code !== 0x7f) value += char;
  }
  value = value.trim();
  return value ? value.slice(0, MAX_USER_AGENT) : undefined;
}

function asAddress(value: string | undefined): string | undefined {
  if (typeof value !== "string") return undefined;
  let address = value.trim();
  if (address.startsWith("[") && address.includes("]")) address = address.slice(1, address.indexOf("]"));
  if (address.length === 0 || address.length > MAX_IP || !IP_LITERAL.test(address)) return undefined;
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
  return address.toLowerCase().replace(/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/, "$1");
}

/** Socket addresses of fetch Requests that have none of their own, as an adapter saw them (Yoga on node:http). */
const noted = new WeakMap<object, string>();

/**
 * For adapters whose request is a fetch `Request` while the server knows the socket
 * (Yoga's `serverContext.req` on node:http): the address `trustProxy` starts from for `request`.
 */
export function noteSocketAddress(request: object, address: unknown): void {
  if (typeof address === "string" && address.length > 0) noted.set(request, address);
}

function socketAddress(request: SessionRequest): string | undefined {
  const socket = (request as { socket?: { remoteAddress?: unknown } | null }).socket;
  const address = socket?.remoteAddress;
  return typeof address === "string" ? address : noted.get(request);
}

/** The client IP of a request, or undefined when it cannot be told. */
export function clientIpOf(request: SessionRequest, trustProxy: TrustProxy): string | undefined {
  if (typeof trustProxy === "function") {
    const value = trustProxy(request);
    return typeof value === "string" && value.length > 0 ? value.trim().slice(0, MAX_IP) : undefined;
  }
  const socket = socketAddress(request);
  if (trustProxy === false || trustProxy <= 0) return asAddress(socket);
  // Express (proxy-addr): the socket address, then X-Forwarded-For from right to left; trust the
  // first `trustProxy` of them and take the next one (or the furthest, when there are fewer).
  const forwarded = (readHeader(request, "x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .reverse();
  const hops = [socket, ...forwarded];
  return asAddress(hops[Math.min(trustProxy, hops.length - 1)]);
}

/** The device of a sign-in or refresh request. */
export function deviceOf(request: SessionRequest | undefined, trustProxy: TrustProxy): Device {
  if (request === undefined) return { userAgent: undefined, ip: undefined };
  return { userAgent: userAgentOf(request), ip: clientIpOf(request, trustProxy) };
}

/** Validates the `trustProxy` option. */
export function resolveTrustProxy(value: unknown): TrustProxy {
  if (value === undefined || value === false) return false;
  if (typeof value === "function") return value as TrustProxy;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 100) return value;
  throw new TypeError("sessionkit: trustProxy must be false, a hop count (0-100) or a function (request) => string | undefined");
}
