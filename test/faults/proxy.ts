// A TCP proxy between a pool and Postgres that can play an outage without touching the shared
// server: "refuse" (connections reset at once, like a stopped server), "blackhole" (connections
// accepted, bytes dropped, like a partition) and back to "pass".

import net from "node:net";

export type ProxyMode = "pass" | "refuse" | "blackhole";

export interface TcpProxy {
  port: number;
  mode: ProxyMode;
  /** Starts an outage: open connections die (refuse) or go silent (blackhole). */
  cut(mode: Exclude<ProxyMode, "pass">): void;
  /** Ends it: forwards again; connections that lost bytes are reset so the pool reconnects. */
  restore(): void;
  /** Connections accepted since start. */
  accepted: number;
  close(): Promise<void>;
}

export async function startTcpProxy(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
  const pairs = new Set<{
    client: net.Socket;
    upstream?: net.Socket;
    tainted: boolean;
  }>();
  const destroy = (pair: { client: net.Socket; upstream?: net.Socket }) => {
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair as never);
  };

  const server = net.createServer((client) => {
    proxy.accepted++;
    client.on("error", () => {});
    if (proxy.mode === "refuse") {
      client.resetAndDestroy();
      return;
    }
    const pair: {
      client: net.Socket;
      upstream?: net.Socket;
      tainted: boolean;
    } = { client, tainted: proxy.mode === "blackhole" };
    pairs.add(pair);
    client.on("close", () => destroy(pair));
    if (proxy.mode === "blackhole") return; // held open, never answered
    const upstream = net.connect(upstreamPort, upstreamHost);
    pair.upstream = upstream;
    upstream.on("error", () => destroy(pair));
    upstream.on("close", () => destroy(pair));
    client.on("data", (chunk) => {
      if (proxy.mode === "pass") upstream.write(chunk);
      else pair.tainted = true;
    });
    upstream.on("data", (chunk) => {
      if (proxy.mode === "pass") client.write(chunk);
      else pair.tainted = true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  const proxy: TcpProxy = {
    port: (server.address() as net.AddressInfo).port,
    mode: "pass",
    accepted: 0,
    cut(mode) {
      proxy.mode = mode;
      if (mode === "refuse") for (const pair of [...pairs]) destroy(pair);
    },
    restore() {
      proxy.mode = "pass";
      for (const pair of [...pairs]) if (pair.tainted || !pair.upstream) destroy(pair);
    },
    async close() {
      for (const pair of [...pairs]) destroy(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
