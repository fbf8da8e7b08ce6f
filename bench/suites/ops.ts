// Session operations against one bare statement each, on the same server and driver:
// refresh vs UPDATE … RETURNING, createNewSession vs INSERT, getSessionData vs SELECT,
// updateJWTPayload vs UPDATE. Each connection works on its own session row.

import type { Child } from "../lib/children.js";
import { postForCookies, setCookieValue } from "../lib/cookies.js";
import { type Figure, type SuiteContext, figure } from "../lib/figures.js";
import { type Side, probe, runInterleaved } from "../lib/load.js";

interface BenchSession {
  handle: string;
  access: string;
  refresh: string;
}

/** The sides of the ops group on one ops server (sessions made on it), each probed once. */
export async function opsSides(server: Child, connections: number, withEddsa: boolean): Promise<Side[]> {
  const { url } = server;
  // One session per connection, plus one for the probes (index -1); the bare statements get
  // rows of their own so they never disturb a refresh chain.
  const pool: BenchSession[] = [];
  const bareRows: BenchSession[] = [];
  for (let i = 0; i <= 2 * connections + 1; i++) {
    const { setCookies, body } = await postForCookies(`${url}/setup/session`, { userId: `ops-user-${i}` });
    pool.push({
      handle: (JSON.parse(body) as { handle: string }).handle,
      access: setCookieValue(setCookies, "sAccessToken") ?? "",
      refresh: setCookieValue(setCookies, "sRefreshToken") ?? "",
    });
  }
  bareRows.push(...pool.splice(connections + 1));
  // Refresh-token chains of sessions signed with EdDSA keys.
  const eddsaChains: string[] = [];
  for (let i = 0; i <= connections; i++) {
    const { setCookies } = await postForCookies(`${url}/setup/session`, { userId: `ops-eddsa-${i}`, algorithm: "EdDSA" });
    eddsaChains.push(setCookieValue(setCookies, "sRefreshToken") ?? "");
  }
  const chainOf = (i: number) => (i < 0 ? connections : i);
  const sessionOf = (i: number) => pool[i < 0 ? connections : i] as BenchSession;
  const bareRowOf = (i: number) => bareRows[i < 0 ? connections : i] as BenchSession;
  const bare = (name: string, method: "GET" | "POST", path: string): Side => ({
    name,
    method,
    url: `${url}${path}`,
    perConnection: (i) => ({ setup: (request) => void (request.headers["x-handle"] = bareRowOf(i).handle) }),
  });
  const withAccess = (name: string, method: "GET" | "POST", path: string): Side => ({
    name,
    method,
    url: `${url}${path}`,
    headers: method === "POST" ? { rid: "anti-csrf" } : {},
    perConnection: (i) => ({
      setup: (request) => void (request.headers.cookie = `sAccessToken=${sessionOf(i).access}`),
      // A browser keeps the access token a response hands out (updateJWTPayload issues one).
      onResponse: (_status, headers) => {
        const next = setCookieValue(headers["set-cookie"], "sAccessToken");
        if (next) sessionOf(i).access = next;
      },
    }),
  });

  const eddsaSide: Side = {
    name: "refresh, EdDSA keys",
    method: "POST",
    url: `${url}/eddsa/auth/session/refresh`,
    headers: { rid: "session" },
    perConnection: (i) => ({
      setup: (request) => void (request.headers.cookie = `sRefreshToken=${eddsaChains[chainOf(i)]}`),
      onResponse: (_status, headers) => {
        const next = setCookieValue(headers["set-cookie"], "sRefreshToken");
        if (next) eddsaChains[chainOf(i)] = next;
      },
    }),
  };
  const sides: Side[] = [
    {
      name: "refresh",
      method: "POST",
      url: `${url}/auth/session/refresh`,
      headers: { rid: "session" },
      perConnection: (i) => ({
        setup: (request) => void (request.headers.cookie = `sRefreshToken=${sessionOf(i).refresh}`),
        onResponse: (_status, headers) => {
          const next = setCookieValue(headers["set-cookie"], "sRefreshToken");
          if (next) sessionOf(i).refresh = next;
        },
      }),
    },
    bare("bare UPDATE … RETURNING", "POST", "/bare/rotate"),
    ...(withEddsa ? [eddsaSide] : []),
    { name: "createNewSession", method: "POST", url: `${url}/ops/create` },
    { name: "bare INSERT", method: "POST", url: `${url}/bare/insert` },
    withAccess("getSessionData", "GET", "/ops/data"),
    bare("bare SELECT", "GET", "/bare/select"),
    withAccess("updateJWTPayload", "POST", "/ops/payload"),
    bare("bare UPDATE", "POST", "/bare/payload"),
  ];
  for (const side of sides) {
    side.server = server;
    await probe(side, (status) => status === 200);
  }
  return sides;
}

export async function opsSuite(ctx: SuiteContext): Promise<Figure[]> {
  const server = await ctx.start(`ops-${ctx.kind}`, "ops.ts");
  // The signing algorithm costs the same on either database: PGlite skips that side.
  const withEddsa = ctx.kind === "postgres" || ctx.only;
  const sides = await opsSides(server, ctx.settings.connections, withEddsa);
  const results = await runInterleaved(sides, ctx.settings);
  return [
    figure("ops", ctx.kind, results, "refresh / bare UPDATE … RETURNING", "refresh", "bare UPDATE … RETURNING", { min: 0.5 }),
    ...(withEddsa
      ? [
          figure(
            "ops",
            ctx.kind,
            results,
            "refresh on EdDSA keys / bare UPDATE … RETURNING",
            "refresh, EdDSA keys",
            "bare UPDATE … RETURNING",
          ),
        ]
      : []),
    figure("ops", ctx.kind, results, "createNewSession / bare INSERT", "createNewSession", "bare INSERT", { min: 0.5 }),
    figure("ops", ctx.kind, results, "getSessionData / bare SELECT", "getSessionData", "bare SELECT"),
    figure("ops", ctx.kind, results, "updateJWTPayload / bare UPDATE", "updateJWTPayload", "bare UPDATE", { min: 0.6 }),
  ];
}
