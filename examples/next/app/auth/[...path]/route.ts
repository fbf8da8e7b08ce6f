// sessionkit's own routes: POST /auth/session/refresh, POST /auth/signout, GET /auth/jwt/jwks.json.

import { sessions } from "../../../lib/sessions";

async function handler(request: Request) {
  return (await sessions.handle(request)) ?? new Response("Not found", { status: 404 });
}

export { handler as GET, handler as POST, handler as OPTIONS };
