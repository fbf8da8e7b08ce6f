// Calling a sessionkit tRPC server from Node (a script, a CLI, a test): a fetch that keeps the
// session cookies in memory as a browser would, and sessionRefreshLink on top of it.

import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { sessionRefreshLink } from "../../src/adapters/trpc/client.js";
import type { AppRouter } from "./minimal.js";

/** A fetch with a cookie jar: sends the cookies whose Path matches, stores those the server sets. */
export function cookieJarFetch(inner: typeof fetch = fetch): typeof fetch {
  const jar = new Map<string, { value: string; path: string }>();
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init.headers);
    const cookies = [...jar].filter(([, c]) => c.path === "/" || url.pathname === c.path || url.pathname.startsWith(`${c.path}/`));
    if (cookies.length > 0) headers.set("cookie", cookies.map(([name, c]) => `${name}=${c.value}`).join("; "));
    const response = await inner(url, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf("="));
      const value = pair.slice(pair.indexOf("=") + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/";
      const expired = value === "" || attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=thu, 01 jan 1970/i.test(a));
      if (expired) jar.delete(name);
      else jar.set(name, { value, path });
    }
    return response;
  };
}

/** A tRPC client for `baseUrl` (e.g. `http://localhost:3000`) that signs in, refreshes and signs out like a browser. */
export function nodeClient(baseUrl: string) {
  const session = sessionRefreshLink<AppRouter>({ baseUrl: `${baseUrl}/auth`, fetch: cookieJarFetch() });
  return createTRPCClient<AppRouter>({ links: [session, httpBatchLink({ url: `${baseUrl}/trpc`, fetch: session.fetch })] });
}
