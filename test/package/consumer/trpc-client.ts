// The tRPC client side with `sessionkit/trpc/client`, against ./trpc-server.ts over
// real HTTP: sign in, a protected call, a silent refresh after the access token went bad, sign
// out. `node client.js <url>` prints what it saw as JSON.

import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { sessionRefreshLink } from "sessionkit/trpc/client";
import type { AppRouter } from "./trpc-server.js";

const url = process.argv[2] ?? "";

// A browser keeps cookies per origin; this small jar does it for Node's fetch.
const cookies = new Map<string, string>();
async function jarFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cookie", [...cookies].map(([name, value]) => `${name}=${value}`).join("; "));
  const response = await fetch(input, { ...init, headers });
  for (const line of response.headers.getSetCookie()) {
    const [pair = ""] = line.split(";");
    const name = pair.slice(0, pair.indexOf("="));
    const value = pair.slice(pair.indexOf("=") + 1);
    if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name);
    else cookies.set(name, value);
  }
  if (String(input).endsWith("/auth/session/refresh")) refreshes++;
  return response;
}
let refreshes = 0;

const memory = new Map<string, string>();
const session = sessionRefreshLink<AppRouter>({
  baseUrl: `${url}/auth`,
  fetch: jarFetch,
  tokenStorage: { get: () => memory.get("t"), set: (t) => (t === null ? memory.delete("t") : memory.set("t", t)) },
});
const trpc = createTRPCClient<AppRouter>({ links: [session, httpBatchLink({ url: `${url}/trpc`, fetch: session.fetch })] });

const seen: Record<string, unknown> = {};
seen.before = await trpc.hello.query();
seen.signIn = await trpc.signIn.mutate({ name: "grace", password: "grace-password" });
const me: { userId: string; payload: Record<string, unknown> } = await trpc.me.query();
seen.me = me;
seen.visits = [await trpc.visits.mutate(), await trpc.visits.mutate()];
cookies.set("sAccessToken", "not-a-jwt"); // as after expiry: the server answers TRY_REFRESH_TOKEN
seen.afterBadToken = await trpc.me.query();
seen.refreshes = refreshes;
await trpc.signOut.mutate();
seen.afterSignOut = await trpc.me.query().then(
  () => "allowed",
  (error: { data?: { httpStatus?: number; sessionCode?: string } }) => error.data,
);
console.log(JSON.stringify(seen));
