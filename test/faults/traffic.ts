// Traffic for fault tests: signed-in users doing what browsers do, each answer classified, and
// the checks that say no session was lost or corrupted once the database is back.

import { expect } from "vitest";
import type { Genuine, Target } from "../security/target.js";
import { rawRequest } from "../security/target.js";

export type Op = "verify" | "verify-db" | "verify-notify" | "read" | "write" | "refresh" | "create";

export interface Outcome {
  op: Op;
  status: number;
  code: string | undefined;
  clearedCookies: boolean;
}

export interface User extends Genuine {
  /** Highest data counter the server acknowledged, and the highest one attempted. */
  acked: number;
  attempted: number;
}

async function outcome(op: Op, response: Response): Promise<Outcome> {
  const body = (await response.json().catch(() => ({}))) as {
    code?: string;
    message?: string;
  };
  const code = body.code ?? (body.message === "session store unavailable" ? "GENERAL_ERROR" : body.message);
  const clearedCookies = response.headers.getSetCookie().some((l) => /^s(Access|Refresh)Token=;/.test(l));
  return { op, status: response.status, code, clearedCookies };
}

/**
 * One step of one user. `verify` needs no database (revocation "none", keys cached);
 * `verify-db` and `verify-notify` go through `checking`, an instance of the same deployment in
 * "check-database" or "notify" mode.
 */
export async function step(op: Op, user: User, serving: Target, checking?: Target): Promise<Outcome> {
  const client = user.client;
  switch (op) {
    case "verify":
      return outcome(op, await client.call("/me"));
    case "verify-db":
    case "verify-notify": {
      const cookie = client.jar.header("/me");
      return outcome(op, await (checking ?? serving).app(rawRequest("/me", { headers: [["cookie", cookie]] })));
    }
    case "read":
      return outcome(op, await client.call("/data"));
    case "write": {
      const n = ++user.attempted;
      const result = await outcome(op, await client.call("/data", { body: { n } }));
      if (result.status === 200) user.acked = Math.max(user.acked, n);
      return result;
    }
    case "refresh":
      return outcome(op, await client.refresh());
    case "create":
      return outcome(
        op,
        await serving.app(
          rawRequest("/login", {
            method: "POST",
            // The SDKs send rid on every call; without it a sign-in is refused as login CSRF.
            headers: [
              ["content-type", "application/json"],
              ["rid", "anti-csrf"],
            ],
            body: JSON.stringify({ userId: `fault-new-${Math.random()}` }),
          }),
        ),
      );
  }
}

/** The fault promises for every answer: a database call is 200 or 500 GENERAL_ERROR, never 401; a call that needs none is 200. */
export function checkOutcomes(outcomes: readonly Outcome[], noDatabase: readonly Op[] = ["verify"]): void {
  for (const o of outcomes) {
    if (noDatabase.includes(o.op)) {
      expect(o, "a call that needs no database must keep working").toMatchObject({ status: 200 });
      continue;
    }
    expect([200, 500], `${o.op} answered ${o.status} ${o.code}`).toContain(o.status);
    if (o.status === 500) expect(o.code, o.op).toBe("GENERAL_ERROR");
    expect(o.clearedCookies, `${o.op} cleared cookies during an outage`).toBe(false);
  }
}

/** After the outage: every session still exists, verifies, refreshes, and holds data it was sent. */
export async function checkSessionsIntact(target: Target, users: readonly User[]): Promise<void> {
  for (const user of users) {
    expect(await target.sessions.getSessionInformation(user.handle), `session of ${user.userId} lost`).toBeDefined();
    const refresh = await user.client.refresh();
    expect(refresh.status, `refresh of ${user.userId} after the outage`).toBe(200);
    const me = await user.client.call("/me");
    expect(((await me.json()) as { userId: string }).userId).toBe(user.userId);
    const data = (await (await user.client.call("/data")).json()) as {
      data: { n?: number };
    };
    const n = data.data.n ?? 0;
    expect(n, `data of ${user.userId}: last acknowledged ${user.acked}`).toBeGreaterThanOrEqual(user.acked);
    expect(n).toBeLessThanOrEqual(user.attempted);
  }
}

export async function signIn(target: Target, count: number): Promise<User[]> {
  const users: User[] = [];
  for (let i = 0; i < count; i++) users.push({ ...(await target.login()), acked: 0, attempted: 0 });
  return users;
}

/** Runs `ops` in a loop for every user until `until()` says stop; returns every outcome. */
export async function runTraffic(
  users: User[],
  ops: readonly Op[],
  serving: Target,
  checking: Target | undefined,
  until: () => boolean,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  await Promise.all(
    users.map(async (user, i) => {
      for (let k = i; !until(); k++) outcomes.push(await step(ops[k % ops.length] as Op, user, serving, checking));
    }),
  );
  return outcomes;
}

export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) out[`${o.op} ${o.status}`] = (out[`${o.op} ${o.status}`] ?? 0) + 1;
  return out;
}
