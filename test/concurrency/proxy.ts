// A TCP proxy in front of Postgres that can black-hole the revocation listener's connections
// (found by the application_name in their startup message), to play a network partition that
// closes nothing: the case only a heartbeat can notice.

import net from "node:net";

export interface Proxy {
  port: number;
  /** Connections whose startup message named the listener. */
  listenerSockets(): number;
  /** Silently drop every byte on the listener connections open now, both ways. */
  freezeListeners(): void;
  /** Refuse (close at once) new listener connections while true. */
  refuseListeners: boolean;
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
    upstream.on("data", (chunk) => {
      if (!pair.frozen) client.write(chunk);
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
