// Real GraphQL subscription clients for live-connection tests: graphql-ws and Yoga's SSE
// (`accept: text/event-stream` over fetch with a cookie jar), each recording values, errors and the end.

import type { Client } from "graphql-ws";
import type { CookieJar } from "../helpers/jar.js";
import { jarFetch } from "./clients.js";

export interface Stream {
  values: number[];
  errors: { extensions?: Record<string, unknown> }[];
  ended: Promise<number>;
  next(): Promise<number>;
}

/** Subscribes over graphql-ws and records results until the stream completes. */
export function subscribeWs(client: Client, query: string): Stream {
  const values: number[] = [];
  const errors: Stream["errors"] = [];
  let waiters: ((n: number) => void)[] = [];
  let end: (at: number) => void = () => {};
  const ended = new Promise<number>((resolve) => {
    end = resolve;
  });
  client.subscribe<Record<string, number>>(
    { query },
    {
      next(result) {
        if (result.errors) errors.push(...(result.errors as unknown as Stream["errors"]));
        const value = result.data && Object.values(result.data)[0];
        if (typeof value === "number") {
          values.push(value);
          const current = waiters;
          waiters = [];
          for (const w of current) w(value);
        }
      },
      error(error) {
        errors.push({ extensions: { transport: String((error as Error)?.message ?? error) } });
        end(performance.now());
      },
      complete: () => end(performance.now()),
    },
  );
  return { values, errors, ended, next: () => new Promise((resolve) => waiters.push(resolve)) };
}

/** Subscribes over Yoga's SSE and records results until the stream ends. */
export function subscribeSse(url: string, jar: CookieJar, query: string): Stream & { cancel(): void } {
  const values: number[] = [];
  const errors: Stream["errors"] = [];
  let waiters: ((n: number) => void)[] = [];
  const controller = new AbortController();
  const ended = (async () => {
    const response = await jarFetch(jar)(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query }),
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) return performance.now();
      buffer += decoder.decode(chunk.value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim())
          .join("");
        if (block.includes("event: complete")) return performance.now();
        if (!data) continue;
        const result = JSON.parse(data) as { data?: Record<string, number>; errors?: Stream["errors"] };
        if (result.errors) errors.push(...result.errors);
        const value = result.data && Object.values(result.data)[0];
        if (typeof value === "number") {
          values.push(value);
          const current = waiters;
          waiters = [];
          for (const w of current) w(value);
        }
      }
    }
  })();
  return { values, errors, ended, next: () => new Promise((resolve) => waiters.push(resolve)), cancel: () => controller.abort() };
}
