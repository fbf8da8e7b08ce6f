// The page script of the SDK tests (bundled by sdk-server.ts): our tRPC client, with
// sessionRefreshLink delegating refresh to the SuperTokens SDK as docs/trpc.md says, and a
// GraphQL call through plain fetch. The SDK has patched window.fetch before this runs.

import { TRPCClientError, createTRPCClient, httpBatchLink, httpLink } from "@trpc/client";
import { sessionRefreshLink } from "../../../src/adapters/trpc/client.js";
import type { SdkRouter } from "./sdk-app.js";

interface SdkSession {
  doesSessionExist(): Promise<boolean>;
  getUserId(): Promise<string>;
  getAccessTokenPayloadSecurely(): Promise<Record<string, unknown>>;
  attemptRefreshingSession(): Promise<boolean>;
  signOut(): Promise<void>;
  getAccessToken(): Promise<string | undefined>;
}
declare const supertokensSession: SdkSession;
const api = (window as unknown as { API: string }).API;

let linkRefreshes = 0;
const session = sessionRefreshLink<SdkRouter>({
  baseUrl: `${api}/auth`,
  refresh: () => {
    linkRefreshes++;
    return supertokensSession.attemptRefreshingSession();
  },
});
const http = { url: `${api}/trpc`, fetch: session.fetch };
/** Calls made together share one HTTP request. */
const batched = createTRPCClient<SdkRouter>({ links: [session, httpBatchLink(http)] });
/** One HTTP request per call. */
const single = createTRPCClient<SdkRouter>({ links: [session, httpLink(http)] });

/** A call's outcome, serialisable for page.evaluate. */
export type Outcome =
  | { ok: true; data: unknown }
  | { ok: false; status?: number; code?: string; sessionCode?: string; claimValidationErrors?: unknown; message: string };

async function outcome(call: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, data: await call };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) return { ok: false, message: String(error) };
    const data = error.data as { httpStatus?: number; code?: string; sessionCode?: string; claimValidationErrors?: unknown } | undefined;
    const claims = data?.claimValidationErrors === undefined ? {} : { claimValidationErrors: data.claimValidationErrors };
    return { ok: false, status: data?.httpStatus, code: data?.code, sessionCode: data?.sessionCode, ...claims, message: error.message };
  }
}

const sk = {
  whoami: (batch = false) => outcome((batch ? batched : single).whoami.query()),
  hello: () => outcome(single.hello.query()),
  signIn: (userId: string, payload?: Record<string, string>) => outcome(single.signIn.mutate({ userId, payload })),
  setPayload: (payload: Record<string, string>) => outcome(single.setPayload.mutate(payload)),
  adminOnly: () => outcome(single.adminOnly.query()),
  adminByClaim: () => outcome(single.adminByClaim.query()),
  signOutMutation: () => outcome(single.signOut.mutate()),
  /** Two calls in one batched request. */
  whoamiAndHello: () => Promise.all([outcome(batched.whoami.query()), outcome(batched.hello.query())]),
  async gql(query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${api}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: await response.json() };
  },
  async jwks(): Promise<unknown> {
    return (await fetch(`${api}/auth/jwt/jwks.json`)).json();
  },
  linkRefreshes: () => linkRefreshes,
  /** The SDK's getAccessToken(): the stored header-mode token (or the exposed one in cookie mode). */
  accessToken: () => supertokensSession.getAccessToken(),
  clockSkew: () => Number(localStorage.getItem("__st_clockSkewInMillis") ?? "0"),
  frontCookies: () => document.cookie,
  /** The tokens header mode keeps in the page's own cookies (supertokens-website setToken: st-access-token, st-refresh-token). */
  storedTokens(): { access?: string; refresh?: string } {
    const jar = new Map(document.cookie.split("; ").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
    return { access: jar.get("st-access-token") || undefined, refresh: jar.get("st-refresh-token") || undefined };
  },
  /** A refresh sent by hand through the SDK-patched fetch (no cross-tab lock), with this Authorization. */
  async refreshWith(authorization: string | undefined): Promise<number> {
    const headers: Record<string, string> = { rid: "session" };
    if (authorization !== undefined) headers.authorization = authorization;
    return (await fetch(`${api}/auth/session/refresh`, { method: "POST", headers, credentials: "include" })).status;
  },
  st: supertokensSession,
};

(window as unknown as { sk: typeof sk }).sk = sk;
document.getElementById("ready")!.textContent = "ready";

export type PageApi = typeof sk;
