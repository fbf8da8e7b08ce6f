import { createSessions } from "../src/index.js";
import { drizzleStore } from "../src/storage/index.js";
import { createBenchSchema } from "./lib/database.js";
import { openDb } from "./servers/common.js";
const schema = await createBenchSchema(process.env.DATABASE_URL!);
process.env.BENCH_KIND = "postgres"; process.env.BENCH_SCHEMA = schema.schema;
const bench = await openDb();
const sessions = createSessions({ store: drizzleStore(bench.db), cookies: { secure: false }, refreshGraceSeconds: 3600 });
const headers = new Headers();
await sessions.createNewSession({ userId: "p", jwtPayload: { role: "m" } }, headers);
const cookieOf = (name: string, h: Headers) => h.getSetCookie().find((c) => c.startsWith(`${name}=`))?.split(";")[0] ?? "";
const op = process.env.OP ?? "refresh";
let refresh = cookieOf("sRefreshToken", headers);
const access = cookieOf("sAccessToken", headers);
const t = performance.now();
for (let i = 0; i < 3000; i++) {
  if (op === "refresh") { const h = new Headers(); await sessions.refreshSession({ method: "POST", headers: { cookie: refresh, rid: "session" } }, h); refresh = cookieOf("sRefreshToken", h); }
  else if (op === "data") { const s = await sessions.getSession({ headers: { cookie: access } }, headers); await s.getSessionData(); }
}
console.log(op, (performance.now() - t) / 3000, "ms/op");
await sessions.close(); await bench.close(); await schema.drop();
