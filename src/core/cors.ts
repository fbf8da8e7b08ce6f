// CORS for a page and an API on different origins (WIRE.md "Cross-origin"): exact origin,
// credentials, the SuperTokens SDK's request headers, and the exposed session headers.

import { type SessionRequest, readHeader } from "./http.js";
import type { CorsOptions } from "./options.js";

const SDK_HEADERS = ["rid", "fdi-version", "anti-csrf", "st-auth-mode", "authorization", "content-type"];
// supertokens-node exposes each token header it sets; header mode's two are listed up front.
const EXPOSE = "front-token, anti-csrf, st-access-token, st-refresh-token";
const METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

export class CorsPolicy {
  constructor(private readonly options: CorsOptions) {}

  allows(origin: string): boolean {
    const { origins } = this.options;
    return typeof origins === "function" ? origins(origin) : origins.includes(origin);
  }

  /** The CORS headers for this request; empty when it has no Origin or the origin is not allowed. */
  headersFor(request: SessionRequest): Headers {
    const headers = new Headers();
    const origin = readHeader(request, "origin");
    if (origin === undefined || !this.allows(origin)) return headers;
    headers.set("access-control-allow-origin", origin);
    headers.set("access-control-allow-credentials", "true");
    headers.set("access-control-expose-headers", EXPOSE);
    headers.append("vary", "Origin");
    return headers;
  }

  /** A preflight answer, or undefined when this is not an allowed preflight. */
  preflight(request: SessionRequest, method: string): Response | undefined {
    if (method !== "OPTIONS" || readHeader(request, "access-control-request-method") === undefined) return undefined;
    const headers = this.headersFor(request);
    if (!headers.has("access-control-allow-origin")) return undefined;
    const allow = [...SDK_HEADERS, ...(this.options.allowHeaders ?? [])];
    const requested = readHeader(request, "access-control-request-headers");
    if (requested) for (const h of requested.split(",")) if (h.trim()) allow.push(h.trim().toLowerCase());
    headers.set("access-control-allow-headers", [...new Set(allow)].join(", "));
    headers.set("access-control-allow-methods", METHODS);
    headers.set("access-control-max-age", String(this.options.maxAge ?? 600));
    return new Response(null, { status: 204, headers });
  }
}
