// The client address of a fetch `Request`, which has no socket: each runtime hands it to the
// handler next to the request instead. `noteConnection` reads it from that second argument, duck
// typed (no runtime imported), so `trustProxy: false` (and a hop count, which starts from the
// socket) sees it for that Request object everywhere it goes next (refresh route, sign-in).

import { noteSocketAddress } from "./devices.js";

/**
 * @internal `connection` is what the runtime passed the handler with `request`:
 * Bun's `Server` (`server.requestIP(request)`), Deno's `ServeHandlerInfo` (`info.remoteAddr`),
 * Node's `IncomingMessage` or `Socket`, or a Hono `Context` (its `env` is one of those:
 * `@hono/node-server` puts the `IncomingMessage` at `env.incoming`). Anything else: nothing.
 */
export function noteConnection(request: object, connection: unknown): void {
  const address = addressOf(request, connection, 0);
  if (address !== undefined) noteSocketAddress(request, address);
}

function addressOf(request: object, connection: unknown, depth: number): string | undefined {
  if (connection === null || typeof connection !== "object" || depth > 3) return undefined;
  try {
    return readAddress(request, connection, depth);
  } catch {
    // A getter that wants the runtime's own object (Deno's `info.remoteAddr` reads a private
    // field): Yoga's server adapter hands plugins `Object.create(info)`. Read the original.
    const original: unknown = Object.getPrototypeOf(connection);
    return original === Object.prototype ? undefined : addressOf(request, original, depth + 1);
  }
}

function readAddress(request: object, connection: object, depth: number): string | undefined {
  const c = connection as {
    requestIP?: unknown;
    remoteAddr?: { hostname?: unknown } | null;
    remoteAddress?: unknown;
    socket?: { remoteAddress?: unknown } | null;
    incoming?: unknown;
    env?: unknown;
    req?: { socket?: unknown } | null;
  };
  // Bun.serve's fetch(request, server).
  if (typeof c.requestIP === "function") {
    const found = (c.requestIP as (r: object) => { address?: unknown } | null | undefined).call(connection, request);
    return typeof found?.address === "string" ? found.address : undefined;
  }
  // Deno.serve's handler(request, info): a NetAddr (tcp) has a hostname.
  if (c.remoteAddr && typeof c.remoteAddr.hostname === "string") return c.remoteAddr.hostname;
  // A node:net Socket, or an IncomingMessage.
  if (typeof c.remoteAddress === "string") return c.remoteAddress;
  if (c.socket && typeof c.socket.remoteAddress === "string") return c.socket.remoteAddress;
  // Yoga's server context on node:http ({ req, res }), @hono/node-server's bindings, a Hono Context's env.
  if (c.req && typeof c.req === "object" && c.req.socket !== undefined) return addressOf(request, c.req, depth + 1);
  if (c.incoming !== undefined) return addressOf(request, c.incoming, depth + 1);
  if (c.env !== undefined) return addressOf(request, c.env, depth + 1);
  return undefined;
}
