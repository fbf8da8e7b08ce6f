// The Cookie header's own cost (issue 22), in this process without a network or a load generator:
// node:http parsing a request's bytes off an in-memory keep-alive connection and tRPC's standalone
// adapter answering it (the bench router, bench/servers/router.ts), one request at a time. Sent with
// no cookie, with the bench's cookie (sAccessToken alone) and with a signed-in browser's (WIRE.md:
// sAccessToken, the SDK's sFrontToken and st-last-access-token-update; sRefreshToken is scoped to
// the refresh path). First on a context that reads nothing, then on sessionkit's context and
// `requireSession()` as bench/servers/trpc.ts serves them (public `hello`, protected `me`).

import { type RequestListener, createServer } from "node:http";
import { Duplex } from "node:stream";
import { createSessionContext, requireSession, sessionErrorFormatter } from "../../src/adapters/trpc/index.js";
import type { Sessions } from "../../src/index.js";
import { benchHandler } from "../servers/router.js";
import { median } from "./load.js";

type CpuOf = (fn: () => unknown) => Promise<number>;

/** A keep-alive connection into `listener`: sends one request's bytes, resolves with the answer's first line. */
function connectionTo(listener: RequestListener): (raw: Buffer) => Promise<string> {
  let done: ((status: string) => void) | undefined;
  let status = "";
  const server = createServer((req, res) => {
    res.once("finish", () => done?.(status));
    listener(req, res);
  });
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      if (chunk.subarray(0, 5).toString() === "HTTP/") status = chunk.subarray(0, chunk.indexOf(13)).toString();
      callback();
    },
  });
  server.emit("connection", socket);
  return (raw) =>
    new Promise<string>((resolve) => {
      done = resolve;
      socket.push(raw);
    });
}

/** What autocannon sends (bench/lib/load.ts), with `cookie` when given. */
const request = (path: string, cookie?: string) =>
  Buffer.from(`GET /trpc/${path} HTTP/1.1\r\nhost: 127.0.0.1:3000\r\nrid: anti-csrf\r\n${cookie ? `cookie: ${cookie}\r\n` : ""}\r\n`);

export async function cookieSteps(sessions: Sessions, revocation: string, cpuOf: CpuOf, rounds = 5): Promise<void> {
  const h = new Headers();
  await sessions.createNewSession({ userId: "steps-cookie" }, h);
  const access =
    h
      .getSetCookie()
      .find((c) => c.startsWith("sAccessToken="))
      ?.split(";")[0] ?? "";
  const browser = `${access}; sFrontToken=${h.get("front-token")}; st-last-access-token-update=${Date.now()}`;
  const plain = connectionTo(
    benchHandler<Record<string, never>>({
      createContext: () => ({}),
      userIdOf: () => "",
      signIn: async () => {},
    }),
  );
  const sk = connectionTo(
    benchHandler(
      {
        createContext: createSessionContext(sessions) as never,
        userIdOf: () => "",
        whoami: (ctx: { session?: { getUserId(): string } }) => ctx.session?.getUserId() ?? "",
        signIn: async () => {},
        errorFormatter: sessionErrorFormatter,
      },
      requireSession(),
    ),
  );
  const sides: [string, (raw: Buffer) => Promise<string>, Buffer][] = [
    ["plain, no cookie", plain, request("hello")],
    ["plain, sAccessToken", plain, request("hello", access)],
    ["plain, browser's cookies", plain, request("hello", browser)],
    ["plain, no cookie again (A/A)", plain, request("hello")],
    [`${revocation} public, no cookie`, sk, request("hello")],
    [`${revocation} public, sAccessToken`, sk, request("hello", access)],
    [`${revocation} protected, sAccessToken`, sk, request("me", access)],
    [`${revocation} protected, browser's cookies`, sk, request("me", browser)],
  ];
  for (const [name, send, raw] of sides) {
    const status = await send(raw);
    if (!status.includes(" 200 ")) throw new Error(`cookie steps: ${name} answered ${status}`);
  }
  const cpu = new Map<string, number[]>(sides.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, send, raw] of round % 2 === 0 ? sides : [...sides].reverse()) cpu.get(name)?.push(await cpuOf(() => send(raw)));
  }
  const of = (name: string) => cpu.get(name) ?? [];
  const line = (label: string, list: number[]) =>
    console.log(
      `${label.padEnd(58)} ${median(list).toFixed(1).padStart(7)}  (${Math.min(...list).toFixed(1)} … ${Math.max(...list).toFixed(1)})`,
    );
  const diff = (label: string, a: string, b: string) =>
    line(
      label,
      of(a).map((v, i) => v - (of(b)[i] ?? Number.NaN)),
    );
  console.log(
    `\nCookie header: sAccessToken alone ${access.length} B, the browser's ${browser.length} B; ${rounds} rounds, alternating order\n` +
      `${"request over an in-memory connection (CPU µs, median)".padEnd(58)} ${"µs".padStart(7)}  (rounds)`,
  );
  for (const [name] of sides) line(name, of(name));
  console.log("differences, per round then median:");
  diff("  node:http + tRPC receiving sAccessToken", "plain, sAccessToken", "plain, no cookie");
  diff("  node:http + tRPC receiving the browser's cookies", "plain, browser's cookies", "plain, no cookie");
  diff("  A/A", "plain, no cookie again (A/A)", "plain, no cookie");
  diff("  sessionkit public: with sAccessToken − without", `${revocation} public, sAccessToken`, `${revocation} public, no cookie`);
  diff("  sessionkit: protected − public, same cookie", `${revocation} protected, sAccessToken`, `${revocation} public, sAccessToken`);
  diff("  sessionkit: protected − public (the bench's pair)", `${revocation} protected, sAccessToken`, `${revocation} public, no cookie`);
  diff(
    "  sessionkit protected: browser's cookies − sAccessToken",
    `${revocation} protected, browser's cookies`,
    `${revocation} protected, sAccessToken`,
  );
}
