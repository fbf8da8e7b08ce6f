// A TCP proxy in front of Postgres that can black-hole the revocation listener's connections
// (found by the application_name in their startup message), to play a network partition that
// closes nothing, or strip the notices (NotificationResponse messages) from them while queries
// still work, as a pooler that does not keep LISTEN would: cases only a heartbeat can notice.

import net from "node:net";

export interface Proxy {
  port: number;
  /** Connections whose startup message named the listener. */
  listenerSockets(): number;
  /** Silently drop every byte on the listener connections open now, both ways. */
  freezeListeners(): void;
  /** Refuse (close at once) new listener connections while true. */
  refuseListeners: boolean;
  /** Drop every notice sent to listener connections while true; everything else passes. */
  dropNotices: boolean;
  close(): Promise<void>;
}

const LISTENER_MARK = Buffer.from("sessionkit-listener");

export async function startProxy(target: { host: string; port: number }): Promise<Proxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; listener: boolean; frozen: boolean }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream, listener: false, frozen: false };
    pairs.add(pair);
    let first = true;
    client.on("data", (chunk) => {
      if (first) {
        first = false;
        pair.listener = chunk.includes(LISTENER_MARK);
        if (pair.listener && proxy.refuseListeners) {
          client.destroy();
          upstream.destroy();
          return;
        }
      }
      if (!pair.frozen) upstream.write(chunk);
    });
    // Backend messages are a type byte and a 4-byte length (including itself) then the body.
    let pending = Buffer.alloc(0);
    upstream.on("data", (chunk) => {
      if (pair.frozen) return;
      if (!pair.listener) return void client.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      const out: Buffer[] = [];
      while (pending.length >= 5) {
        const size = 1 + pending.readUInt32BE(1);
        if (pending.length < size) break;
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        if (!(proxy.dropNotices && message[0] === 0x41)) out.push(message);
      }
      if (out.length > 0) client.write(Buffer.concat(out));
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: Proxy = {
    port: (server.address() as net.AddressInfo).port,
    listenerSockets: () => [...pairs].filter((p) => p.listener && !p.frozen).length,
    freezeListeners() {
      for (const pair of pairs) if (pair.listener) pair.frozen = true;
    },
    refuseListeners: false,
    dropNotices: false,
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
