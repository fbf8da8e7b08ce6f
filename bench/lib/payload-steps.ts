// The updateJWTPayload HTTP route step by step (issue 22): what bench/servers/ops.ts
// `POST /ops/payload` does per request, each step called on its own in one process (CPU µs per
// call), next to its `POST /bare/payload` (the bare UPDATE and an empty JSON answer). The steps
// are those of engine.verifyRequest, Session.updateJWTPayload, engine.issueAccess and
// transport.write with the bench's options (ES256, anti-CSRF "via-custom-header", cookies).

import type { ServerResponse } from "node:http";
import { frontToken } from "../../src/core/access-token.js";
import { serializeCookie } from "../../src/core/cookies.js";
import { accessTokenOf } from "../../src/core/header-transport.js";
import { ResponseWriter } from "../../src/core/http.js";
import type { engineOf } from "../../src/core/internal.js";
import type { Sessions } from "../../src/index.js";
import type { BenchDb } from "../servers/common.js";

type Measure = (name: string, fn: () => unknown) => Promise<void>;
type Engine = ReturnType<typeof engineOf>;

const BARE_UPDATE =
  "UPDATE sessionkit_sessions SET jwt_payload = $1::text::jsonb WHERE handle = $2 AND expires_at > $3::timestamptz RETURNING handle";

/** The JSON answer of the bench routes (`json(res, {})` of servers/common.ts). */
function answer(res: ServerResponse): void {
  const body = "{}";
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export async function payloadSteps(
  bench: BenchDb,
  sessions: Sessions,
  engine: Engine,
  nodeResponse: () => ServerResponse,
  measure: Measure,
): Promise<void> {
  const { options } = engine;
  const setup = new Headers();
  const created = await sessions.createNewSession({ userId: "steps-payload", jwtPayload: { n: 0 } }, setup);
  const handle = created.getHandle();
  const accessOf = (lines: string[]) => lines.find((c) => c.startsWith("sAccessToken="))?.split(";")[0];
  let cookie = accessOf(setup.getSetCookie()) ?? "";
  // As node:http hands it over: lower-case header names, the rid header the bench client sends.
  const request = () => ({ method: "POST", url: "/ops/payload", headers: { host: "127.0.0.1", cookie, rid: "anti-csrf" } });
  let counter = 0;

  await measure("payload route: getSession + updateJWTPayload + answer", async () => {
    const res = nodeResponse();
    const session = await sessions.getSession(request(), res);
    await session.updateJWTPayload({ n: ++counter });
    const next = accessOf(((res.getHeader("set-cookie") as string[] | undefined) ?? []).map(String));
    answer(res);
    if (next) cookie = next;
  });
  await measure("bare route: UPDATE + answer", async () => {
    const res = nodeResponse();
    await bench.query(BARE_UPDATE, [JSON.stringify({ n: ++counter }), handle, new Date().toISOString()]);
    answer(res);
  });
  await measure("  getSession to a Node response (cached token)", () => sessions.getSession(request(), nodeResponse()));
  await measure("    of which accessTokenOf (Cookie header)", () => accessTokenOf(request(), options.tokenTransfer));
  const token = accessTokenOf(request(), options.tokenTransfer)?.token ?? "";
  await measure("    of which tokens.verify (cache hit)", () => engine.tokens.verify(token));
  const session = await sessions.getSession(request(), nodeResponse());
  const claims = (await engine.tokens.verify(token)) as { ok: true; claims: Parameters<Engine["checkAntiCsrf"]>[1] };
  await measure("    of which checkAntiCsrf", () => engine.checkAntiCsrf(request(), claims.claims));
  await measure("  store.setJWTPayload (Drizzle) in engine.run", () =>
    engine.run(() => options.store.setJWTPayload(handle, { n: ++counter }, engine.now())),
  );
  await measure("  bare UPDATE jwt_payload", () =>
    bench.query(BARE_UPDATE, [JSON.stringify({ n: ++counter }), handle, new Date().toISOString()]),
  );
  await measure("  engine.issueAccess (ES256)", () => engine.issueAccess("steps-payload", handle, { n: 1 }, Date.now(), "cookie"));
  const signer = await engine.keys.signingKey();
  const bytes = new TextEncoder().encode("x".repeat(300));
  await measure("    of which the ES256 signature", () => signer.sign(bytes));
  const { issued } = await engine.issueAccess("steps-payload", handle, { n: 1 }, Date.now(), "cookie");
  await measure("  transport.write to a Node response", () => engine.transport.write(new ResponseWriter(nodeResponse()), issued));
  await measure("    of which frontToken", () => frontToken(issued.userId, issued.exp, issued.fullPayload));
  await measure("    of which serializeCookie", () =>
    serializeCookie("sAccessToken", issued.token, {
      path: "/",
      expires: new Date(Date.now() + 1e12),
      httpOnly: true,
      secure: false,
      sameSite: "lax",
    }),
  );
  await measure("  answer with the payload's headers (node:http)", () => {
    const res = nodeResponse();
    engine.transport.write(new ResponseWriter(res), issued);
    answer(res);
  });
  await measure("  answer without them (node:http)", () => answer(nodeResponse()));
  await measure("  nodeResponse() (harness only)", () => nodeResponse());
  void session;
}
