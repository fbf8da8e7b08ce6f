// Serves a fetch handler `(Request) => Response` on node:http, streaming the body as it comes
// (tRPC's httpBatchStreamLink answers in chunks).

import type { IncomingMessage, ServerResponse } from "node:http";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";

export type FetchHandler = (request: Request, connection?: unknown) => Promise<Response>;

export function serveFetch(handler: FetchHandler, onError: (error: unknown) => void = console.error) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const request = incomingMessageToRequest(req, res, { maxBodySize: 1024 * 1024 });
      // The IncomingMessage as the connection: the client's address for "Your devices" (trustProxy false).
      const response = await handler(request, req);
      res.statusCode = response.status;
      response.headers.forEach((value, name) => {
        if (name !== "set-cookie") res.setHeader(name, value);
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) res.setHeader("set-cookie", cookies);
      if (response.body) {
        const reader = response.body.getReader();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) res.write(chunk.value);
      }
      res.end();
    } catch (error) {
      onError(error);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    }
  };
}
