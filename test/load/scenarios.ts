// Load scenarios with bounded counts, returning figures instead of asserting, so `npm test`
// (small counts) and `npm run stress` (large counts) share them. Free of vitest.

import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import type { Sessions } from "../../src/index.js";
import { type Target, rawRequest, uniqueUser } from "../security/target.js";

const REFRESH = "/auth/session/refresh";

function setCookieValue(response: Response, name: string): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    if (line.startsWith(`${name}=`)) return line.slice(name.length + 1).split(";")[0];
  }
  return undefined;
}

export interface RefreshFigures {
  requests: number;
  ok: number;
  thefts: number;
  otherFailures: number;
  /** Distinct refresh tokens handed out: 1 means every racer ended on the same session state. */
  distinctTokens: number;
  followUpOk: boolean;
  ms: number;
}

/** `n` refreshes of one session at the same moment, all presenting the same refresh token (n tabs). */
export async function concurrentRefreshes(target: Target, n: number): Promise<RefreshFigures> {
  const user = await target.login();
  const started = performance.now();
  const responses = await Promise.all(
    Array.from({ length: n }, () =>
      target.app(
        rawRequest(REFRESH, {
          method: "POST",
          headers: [
            ["cookie", `sRefreshToken=${user.refreshToken}`],
            ["rid", "session"],
          ],
        }),
      ),
    ),
  );
  const ms = performance.now() - started;
  let ok = 0;
  let thefts = 0;
  const tokens = new Set<string>();
  for (const r of responses) {
    const body = (await r.json()) as { message?: string };
    if (r.status === 200) {
      ok++;
      const token = setCookieValue(r, "sRefreshToken");
      if (token) tokens.add(token);
    } else if (body.message === "token theft detected") thefts++;
  }
  const [next] = tokens;
  const followUp = next
    ? await target.app(
        rawRequest(REFRESH, {
          method: "POST",
          headers: [
            ["cookie", `sRefreshToken=${next}`],
            ["rid", "session"],
          ],
        }),
      )
    : undefined;
  return { requests: n, ok, thefts, otherFailures: n - ok - thefts, distinctTokens: tokens.size, followUpOk: followUp?.status === 200, ms };
}

export interface ModifyFigures {
  requests: number;
  ok: number;
  failures: number;
  finalCount: number;
  lostUpdates: number;
  ms: number;
}

/** `n` concurrent read-modify-writes (`Session.modifySessionData` behind the app's /modify) of one session. */
export async function concurrentModifies(target: Target, n: number): Promise<ModifyFigures> {
  const user = await target.login();
  const cookie = `sAccessToken=${user.accessToken}`;
  const started = performance.now();
  const responses = await Promise.all(
    Array.from({ length: n }, () =>
      target.app(
        rawRequest("/modify", {
          method: "POST",
          headers: [
            ["cookie", cookie],
            ["rid", "anti-csrf"],
          ],
          body: "{}",
        }),
      ),
    ),
  );
  const ms = performance.now() - started;
  const ok = responses.filter((r) => r.status === 200).length;
  const info = await target.sessions.getSessionInformation(user.handle);
  const finalCount = (info?.sessionData as { n?: number } | undefined)?.n ?? 0;
  return { requests: n, ok, failures: n - ok, finalCount, lostUpdates: ok - finalCount, ms };
}

export interface CreateFigures {
  requested: number;
  created: number;
  failures: number;
  distinctHandles: number;
  distinctAccessTokens: number;
  distinctRefreshTokens: number;
  verified: number;
  stored: number;
  ms: number;
}

/** `n` sessions created at once, then each access token verified and each row found. */
export async function concurrentCreates(target: Target, n: number): Promise<CreateFigures> {
  const { sessions } = target;
  const userId = uniqueUser("bulk");
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: n }, async () => {
      const headers = new Headers();
      const session = await sessions.createNewSession({ userId, sessionData: { i: 0 } }, headers);
      return {
        handle: session.getHandle(),
        access: setCookieFrom(headers, "sAccessToken"),
        refresh: setCookieFrom(headers, "sRefreshToken"),
      };
    }),
  );
  const ms = performance.now() - started;
  const created = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  let verified = 0;
  for (let i = 0; i < created.length; i += 500) {
    const batch = created.slice(i, i + 500);
    const ok = await Promise.all(batch.map((c) => verifies(sessions, c.access, c.handle)));
    verified += ok.filter(Boolean).length;
  }
  const stored = (await sessions.getAllSessionHandlesForUser(userId)).length;
  await sessions.revokeAllSessionsForUser(userId);
  return {
    requested: n,
    created: created.length,
    failures: n - created.length,
    distinctHandles: new Set(created.map((c) => c.handle)).size,
    distinctAccessTokens: new Set(created.map((c) => c.access)).size,
    distinctRefreshTokens: new Set(created.map((c) => c.refresh)).size,
    verified,
    stored,
    ms,
  };
}

function setCookieFrom(headers: Headers, name: string): string {
  for (const line of headers.getSetCookie()) if (line.startsWith(`${name}=`)) return line.slice(name.length + 1).split(";")[0] ?? "";
  return "";
}

async function verifies(sessions: Sessions, access: string, handle: string): Promise<boolean> {
  try {
    const s = await sessions.getSession(rawRequest("/me", { headers: [["cookie", `sAccessToken=${access}`]] }), new Headers());
    return s.getHandle() === handle;
  } catch {
    return false;
  }
}

export interface SoakFigures {
  seconds: number;
  operations: number;
  failures: number;
  /** heapUsed / RSS in MB after a full GC: at the end of warm-up, and at the end. */
  heapStartMb: number;
  heapEndMb: number;
  rssStartMb: number;
  rssEndMb: number;
  samples: Array<{ t: number; heapMb: number; rssMb: number }>;
}

let gc: (() => void) | undefined;
function collect(): void {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
  gc();
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * Mixed traffic from `workers` concurrent users for `seconds`: sign in, verify, refresh,
 * modify data, update the payload, sign out. Memory is sampled after a full GC; the first
 * quarter is warm-up (caches fill).
 */
export async function soak(
  target: Target,
  seconds: number,
  workers = 16,
  onSample?: (s: { t: number; heapMb: number; rssMb: number }) => void,
): Promise<SoakFigures> {
  const samples: SoakFigures["samples"] = [];
  const started = Date.now();
  const end = started + seconds * 1000;
  let operations = 0;
  let failures = 0;
  const count = (r: Response) => {
    operations++;
    if (r.status !== 200) failures++;
  };
  const sampler = setInterval(
    () => {
      collect();
      const m = process.memoryUsage();
      const s = { t: Math.round((Date.now() - started) / 1000), heapMb: mb(m.heapUsed), rssMb: mb(m.rss) };
      samples.push(s);
      onSample?.(s);
    },
    Math.max(500, (seconds * 1000) / 40),
  );
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < end) {
        const user = await target.login();
        operations++;
        for (let i = 0; i < 5; i++) count(await user.client.call("/me"));
        count(await user.client.refresh());
        count(await user.client.call("/modify", { method: "POST" }));
        count(await user.client.call("/payload", { body: { step: operations } }));
        count(await user.client.call("/auth/signout", { method: "POST" }));
      }
    }),
  );
  clearInterval(sampler);
  await target.sessions.cleanup();
  const warm = samples.filter((s) => s.t >= seconds / 4);
  const first = warm[0] ?? samples[0] ?? { heapMb: 0, rssMb: 0 };
  const last = samples.at(-1) ?? first;
  return {
    seconds,
    operations,
    failures,
    heapStartMb: first.heapMb,
    heapEndMb: last.heapMb,
    rssStartMb: first.rssMb,
    rssEndMb: last.rssMb,
    samples,
  };
}
