// The Node middleware writes its answers from a HeaderList (handler.ts), not from a fetch
// Headers: the bytes must stay the ones a Headers gave. A refresh answered by the fetch handler
// and the next one answered by the middleware, on one session at one instant, must carry the same
// headers in the same order (a Headers iterates sorted, Set-Cookie last), the same values except
// the tokens themselves, and Node's own headers after them.

import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, createTestDb } from "../helpers/db.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

/** Token values out, attributes kept: `sAccessToken=<t>; Path=/; …`. */
const masked = (name: string, value: string) =>
  name === "set-cookie" ? value.replace(/^([^=]+)=[^;]*/, "$1=<t>") : name === "st-access-token" ? "<t>" : value;

/** One POST over node:http, with the answer's header lines in the order they came. */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; lines: [string, string][] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers }, (res) => {
      const raw = res.rawHeaders;
      const lines: [string, string][] = [];
      for (let i = 0; i < raw.length; i += 2) lines.push([(raw[i] as string).toLowerCase(), raw[i + 1] as string]);
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, lines }));
    });
    req.on("error", reject);
    req.end();
  });
}

const refreshCookie = (lines: Iterable<[string, string]>) => {
  for (const [name, value] of lines) if (name === "set-cookie" && value.startsWith("sRefreshToken=")) return value.split(";")[0] as string;
  throw new Error("no refresh cookie");
};

/** Headers node:http adds itself, after the ones the middleware set. */
const NODE_OWN = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

describe.each([
  ["without CORS", undefined],
  ["with CORS", { origins: ["http://app.test"] }],
])("Node middleware answer headers, %s", (_label, cors) => {
  it("a refresh carries the fetch handler's headers, order and values (tokens aside)", async () => {
    const clock = testClock();
    const sessions = createSessions({ store: drizzleStore(db.db), now: clock.now, cors });
    const middleware = sessions.middleware();
    const server = createServer((req, res) => void middleware(req, res, () => res.end("app")));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const signIn = new Headers();
      await sessions.createNewSession({ userId: "wire-user", jwtPayload: { role: "a" } }, signIn);
      const first = refreshCookie(signIn.getSetCookie().map((l) => ["set-cookie", l] as [string, string]));
      const asked = { cookie: first, rid: "session", origin: "http://app.test" };

      const fetched = await sessions.handle(new Request(`${base}/auth/session/refresh`, { method: "POST", headers: asked }));
      if (!fetched) throw new Error("not answered");
      expect(fetched.status).toBe(200);
      const expected: [string, string][] = [];
      fetched.headers.forEach((value, name) => {
        if (name !== "set-cookie") expected.push([name, masked(name, value)]);
      });
      for (const line of fetched.headers.getSetCookie()) expected.push(["set-cookie", masked("set-cookie", line)]);

      const next = fetched.headers.getSetCookie().map((l) => ["set-cookie", l] as [string, string]);
      const viaNode = await post(`${base}/auth/session/refresh`, { ...asked, cookie: refreshCookie(next) });
      expect(viaNode.status).toBe(200);
      const own = viaNode.lines.filter(([name]) => !NODE_OWN.has(name));
      expect(own.map(([name, value]) => [name, masked(name, value)])).toEqual(expected);
      // Node's own headers come after every header the middleware set.
      expect(viaNode.lines.slice(own.length).every(([name]) => NODE_OWN.has(name))).toBe(true);
      expect(expected.filter(([name]) => name === "set-cookie")).toHaveLength(2);
      if (cors) expect(expected.map(([name]) => name)).toContain("access-control-allow-origin");
    } finally {
      await sessions.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
