// Yoga: a public field vs an @auth field on the same server.

import { cookieHeader, postForCookies } from "../lib/cookies.js";
import { type Figure, type SuiteContext, figure } from "../lib/figures.js";
import { type Side, probe, runInterleaved } from "../lib/load.js";

export async function yogaSuite(ctx: SuiteContext): Promise<Figure[]> {
  const server = await ctx.start(`yoga-${ctx.kind}`, "yoga.ts");
  const { url } = server;
  const userId = "yoga-user";
  const { setCookies } = await postForCookies(
    `${url}/graphql`,
    { query: `mutation { signIn(userId: "${userId}") }` },
    { rid: "anti-csrf" },
  );
  const cookie = cookieHeader(setCookies, "/graphql");
  const query = (q: string) => JSON.stringify({ query: q });
  const headers = { "content-type": "application/json", rid: "anti-csrf" };
  const sides: Side[] = [
    { name: "yoga public", url: `${url}/graphql`, method: "POST", headers, body: query("{ hello }"), server },
    { name: "yoga @auth", url: `${url}/graphql`, method: "POST", headers: { ...headers, cookie }, body: query("{ me }"), server },
  ];
  await probe(sides[0] as Side, (status, body) => status === 200 && body.includes("world"));
  await probe(sides[1] as Side, (status, body) => status === 200 && body.includes(userId));
  const results = await runInterleaved(sides, ctx.settings);
  return [figure("yoga", ctx.kind, results, "Yoga @auth / public", "yoga @auth", "yoga public", { min: 0.95 })];
}
