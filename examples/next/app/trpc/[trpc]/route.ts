// tRPC over HTTP through a route handler and the fetch adapter: /trpc/<procedure>.

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createSessionContext, sessionResponseMeta } from "sessionkit/trpc";
import { appRouter } from "../../../lib/router";
import { sessions } from "../../../lib/sessions";

const createContext = createSessionContext(sessions);

function handler(req: Request) {
  // A batch holding a session failure answers 401 as a whole (the SuperTokens SDK reads only the status).
  return fetchRequestHandler({ endpoint: "/trpc", req, router: appRouter, createContext, responseMeta: sessionResponseMeta });
}

export { handler as GET, handler as POST };
