// tRPC called from a React Server Component: the same context as over HTTP, built from the
// request's headers. A render cannot set cookies: the context has no response to write to, so
// a call that would set one fails loudly. The page reads the session first (readSession) and
// lets the browser refresh an expired token before it calls anything protected.

import { headers } from "next/headers";
import { createSessionContext } from "sessionkit/trpc";
import { createCaller } from "./router";
import { sessions } from "./sessions";

const createContext = createSessionContext(sessions);

export async function serverCaller() {
  return createCaller(await createContext({ req: { headers: await headers() } }));
}
