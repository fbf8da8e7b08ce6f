// The same protected routes on node:http through `sessions.middleware()` and `getSession(req, res)`,
// plus a raw TCP client that can send bytes no fetch client would (repeated headers, raw UTF-8).

import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { type Sessions, isSessionError } from "../../src/index.js";

type NodeMiddleware = ReturnType<Sessions["middleware"]>;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

async function route(sessions: Sessions, middleware: NodeMiddleware, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (await middleware(req, res)) return;
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  try {
    if (path === "/me") {
      const s = await sessions.getSession(req, res);
      return send(res, 200, { userId: s.getUserId(), handle: s.getHandle() });
    }
    if (path === "/optional") {
      const s = await sessions.getSession(req, res, { sessionRequired: false });
      return send(res, 200, { userId: s?.getUserId() ?? null });
    }
    send(res, 404, { message: "not found" });
  } catch (error) {
    if (isSessionError(error)) return send(res, error.status, { code: error.code, message: error.message });
    send(res, 500, { message: "internal error" });
  }
}

/** Starts a node:http server on port 0 for `sessions`; resolves with its port. */
export async function startNodeApp(sessions: Sessions): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const middleware = sessions.middleware();
  const server = createServer((req, res) => {
    route(sessions, middleware, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { message: "internal error" });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends one HTTP/1.1 request as raw bytes (header values are written as given, Latin-1 or UTF-8)
 * and returns the answer as a fetch `Response`.
 */
export async function rawHttp(
  port: number,
  request: { method: string; path: string; headers: Array<[string, string]>; utf8Values?: boolean },
): Promise<Response> {
  const head = Buffer.concat([
    Buffer.from(`${request.method} ${request.path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`, "latin1"),
    ...request.headers.map(([name, value]) =>
      Buffer.concat([Buffer.from(`${name}: `, "latin1"), Buffer.from(value, request.utf8Values ? "utf8" : "latin1"), Buffer.from("\r\n")]),
    ),
    Buffer.from("content-length: 0\r\nconnection: close\r\n\r\n", "latin1"),
  ]);
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("raw HTTP request timed out")));
    socket.write(head);
  });
  const text = raw.toString("latin1");
  const split = text.indexOf("\r\n\r\n");
  const [statusLine = "", ...lines] = text.slice(0, split).split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  if (!(status >= 200 && status <= 599)) throw new Error(`not an HTTP answer: ${JSON.stringify(text.slice(0, 300))}`);
  const headers = new Headers();
  for (const line of lines) {
    const i = line.indexOf(":");
    headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  let body = text.slice(split + 4);
  if (headers.get("transfer-encoding") === "chunked") body = dechunk(body);
  headers.delete("transfer-encoding");
  return new Response(status === 204 || status === 304 ? null : body, { status, headers });
}

function dechunk(body: string): string {
  let out = "";
  let rest = body;
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
