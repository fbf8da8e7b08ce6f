// The protected tRPC call's own work next to the public one's (issue 22): what
// `createSessionContext` does per request with and without the access-token cookie, then its
// steps, called on their own in one process (CPU µs per call). Node request objects as the
// standalone adapter passes them (lower-case header names), revocation as the instance has it.

import type { ServerResponse } from "node:http";
import { createSessionContext } from "../../src/adapters/trpc/index.js";
import { readCookies } from "../../src/core/cookies.js";
import { accessTokenOf } from "../../src/core/header-transport.js";
import type { engineOf } from "../../src/core/internal.js";
import type { Sessions } from "../../src/index.js";

type Measure = (name: string, fn: () => unknown) => Promise<void>;
type Engine = ReturnType<typeof engineOf>;

export async function protectSteps(
  sessions: Sessions,
  engine: Engine,
  nodeResponse: () => ServerResponse,
  measure: Measure,
): Promise<void> {
  const setup = new Headers();
  await sessions.createNewSession({ userId: "steps-protect" }, setup);
  const cookie =
    setup
      .getSetCookie()
      .find((c) => c.startsWith("sAccessToken="))
      ?.split(";")[0] ?? "";
  const headers = { host: "127.0.0.1:3000", connection: "keep-alive", accept: "*/*" };
  const publicRequest = () => ({ method: "GET", url: "/trpc/hello", headers: { ...headers } });
  const protectedRequest = () => ({ method: "GET", url: "/trpc/me", headers: { ...headers, cookie } });
  // "notify": measure once the listener has read the revocation log (until then every call asks the store).
  for (let i = 0; i < 400 && engine.revocation.live?.() === false; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const createContext = createSessionContext(sessions);
  const info = { accept: null, type: "query" as const, calls: [] };
  const res = nodeResponse();
  for (let round = 0; round < 3; round++) {
    await measure(`context, public (no cookie) #${round + 1}`, () => createContext({ req: publicRequest(), res, info }));
    await measure(`context, protected (cookie) #${round + 1}`, () => createContext({ req: protectedRequest(), res, info }));
  }
  const { tokenTransfer } = engine.options;
  const token = accessTokenOf(protectedRequest(), tokenTransfer)?.token ?? "";
  await measure("  request object alone (harness)", () => protectedRequest());
  await measure("  readCookies", () => readCookies(protectedRequest().headers.cookie, "sAccessToken"));
  await measure("  accessTokenOf", () => accessTokenOf(protectedRequest(), tokenTransfer));
  await measure("  tokens.verify (cache hit)", () => engine.tokens.verify(token));
  const verified = await engine.tokens.verify(token);
  if (!verified.ok) throw new Error("protect-steps: the token did not verify");
  const { claims } = verified;
  await measure(`  revocation.isRevoked (${engine.options.revocation})`, () => engine.revocation.isRevoked(claims));
  await measure("  getSession (sessionRequired: false)", () =>
    sessions.getSession(protectedRequest(), res, { sessionRequired: false, antiCsrfCheck: false }),
  );
}
