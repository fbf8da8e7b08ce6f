// The example's page: plain HTML, and client.ts bundled for the browser with esbuild on the
// first request (kept in memory). Element ids are stable: browser tests drive them.

import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { ADMIN_SECTION, CONFIRM_FORM } from "./authz-page.js";
import { DEVICES_SECTION, REMEMBER_ME } from "./devices-page.js";

let bundle: Promise<string> | undefined;

/** client.ts and what it imports (@trpc/client, sessionkit/trpc/client) as one browser script. */
export function clientBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [fileURLToPath(new URL("./client.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    legalComments: "none",
  })
    .then((result) => result.outputFiles[0]?.text ?? "")
    .catch((error: unknown) => {
      bundle = undefined; // let the next request try again after a fix
      throw error;
    });
  return bundle;
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** GET / (the page) and GET /app.js (the script); 404 for anything else. */
export async function pageResponse(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (request.method !== "GET" && request.method !== "HEAD") return new Response("Not found", { status: 404 });
  if (pathname === "/" || pathname === "/index.html") {
    return new Response(HTML, {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...SECURITY_HEADERS },
    });
  }
  if (pathname === "/app.js") {
    try {
      return new Response(await clientBundle(), {
        headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store", ...SECURITY_HEADERS },
      });
    } catch (error) {
      console.error("could not bundle examples/trpc/client.ts", error);
      return new Response("console.error('The page script could not be built; see the server log.')", {
        status: 500,
        headers: { "content-type": "text/javascript; charset=utf-8" },
      });
    }
  }
  return new Response("Not found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
}

const HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sessionkit · tRPC example</title>
<link rel="icon" href="data:,">
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
  body { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
  section, form.card { background: #fff; border: 1px solid #dde1e8; border-radius: .6rem; padding: 1rem 1.25rem; margin: 1rem 0; }
  label { display: block; margin: .5rem 0; font-size: .9rem; }
  input { display: block; width: 100%; box-sizing: border-box; padding: .45rem .6rem; margin-top: .2rem; border: 1px solid #b9c0cc; border-radius: .35rem; font: inherit; }
  button { font: inherit; padding: .4rem .9rem; border-radius: .35rem; border: 1px solid #3358d4; background: #3358d4; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #3358d4; }
  button.danger { background: #fff; color: #b42318; border-color: #b42318; }
  button { white-space: nowrap; }
  button.small { font-size: .8rem; padding: .15rem .6rem; margin-left: .5rem; vertical-align: middle; }
  button:disabled { opacity: .6; cursor: wait; }
  .row { display: flex; gap: .5rem; align-items: end; }
  .row input { flex: 1; }
  /* A button beside an input: the label's bottom margin would lift the input, and the label's
     smaller font would make the input shorter; one margin and one height line their edges up. */
  .row { margin: .5rem 0; }
  .row label { margin: 0; }
  .row input, .row button { height: 2.4rem; box-sizing: border-box; padding-top: 0; padding-bottom: 0; }
  .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  .columns form.card { margin: 0; }
  @media (max-width: 40rem) { .columns { grid-template-columns: 1fr; } }
  #status { color: #4a5468; margin: 0; }
  .message { border-radius: .5rem; padding: .7rem 1rem; margin: 1rem 0; }
  #error { background: #fdecea; border: 1px solid #f4b4ae; color: #8a1c12; }
  #notice { background: #e8f3ec; border: 1px solid #a9d5b8; color: #1c5a33; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0 0 1rem; }
  dt { color: #4a5468; } dd { margin: 0; word-break: break-all; }
  ul { list-style: none; padding: 0; margin: .5rem 0; }
  li { display: flex; justify-content: space-between; align-items: center; gap: .5rem; padding: .45rem 0; border-top: 1px solid #eef0f3; }
  li small { color: #4a5468; display: block; }
  .empty { color: #6b7485; font-style: italic; }
  pre { background: #f1f3f6; padding: .6rem; border-radius: .35rem; overflow-x: auto; font-size: .8rem; }
  .actions { display: flex; gap: .5rem; flex-wrap: wrap; }
  label.check { display: flex; gap: .4rem; align-items: center; font-weight: normal; }
  label.check input { width: auto; margin: 0; }
  .tag { font-size: .75rem; background: #e6ecfb; color: #2343a8; border-radius: 1rem; padding: .05rem .5rem; margin-left: .3rem; }
</style>
</head>
<body>
<header>
  <h1>sessionkit · tRPC example</h1>
  <p id="status" data-testid="status" aria-live="polite">Checking your session…</p>
</header>
<div id="error" data-testid="error" class="message" role="alert" hidden></div>
<div id="notice" data-testid="notice" class="message" role="status" hidden></div>

<div id="signed-out" data-testid="signed-out" hidden>
  <div class="columns">
    <form id="signup-form" class="card" data-testid="signup-form">
      <h2>Create an account</h2>
      <label>Name <input id="signup-name" name="name" autocomplete="username" required></label>
      <label>Display name (optional) <input id="signup-display-name" name="displayName" autocomplete="nickname"></label>
      <label>Password (8+ characters) <input id="signup-password" name="password" type="password" autocomplete="new-password" required></label>
      <button id="signup-submit" type="submit">Sign up</button>
    </form>
    <form id="signin-form" class="card" data-testid="signin-form">
      <h2>Sign in</h2>
      <label>Name <input id="signin-name" name="name" autocomplete="username" required></label>
      <label>Password <input id="signin-password" name="password" type="password" autocomplete="current-password" required></label>
      ${REMEMBER_ME}
      <button id="signin-submit" type="submit">Sign in</button>
    </form>
  </div>
</div>

<div id="signed-in" data-testid="signed-in" hidden>
  <section id="me" data-testid="me">
    <h2>Me</h2>
    <dl>
      <dt>Display name</dt><dd id="display-name" data-testid="display-name"></dd>
      <dt>Name</dt><dd id="me-name" data-testid="me-name"></dd>
      <dt>User id</dt><dd id="me-user-id" data-testid="me-user-id"></dd>
      <dt>Access token</dt><dd><span id="token-expiry" data-testid="token-expiry"></span> · silent refreshes: <span id="refresh-count" data-testid="refresh-count">0</span></dd>
    </dl>
    <details><summary>Access-token payload</summary><pre id="me-payload" data-testid="me-payload"></pre></details>
    <form id="rename-form" class="row" data-testid="rename-form">
      <label style="flex:1">New display name <input id="rename-input" name="displayName" required maxlength="40"></label>
      <button id="rename-submit" type="submit">Rename</button>
    </form>
  </section>

  <section id="notes" data-testid="notes">
    <h2>Private notes</h2>
    <p><small>Kept in this session's data on the server, never in a cookie. Another session of yours has its own.</small></p>
    <form id="note-form" class="row" data-testid="note-form">
      <label style="flex:1">Note <input id="note-input" name="text" required maxlength="500"></label>
      <button id="note-add" type="submit">Add note</button>
    </form>
    <ul id="notes-list" data-testid="notes-list"></ul>
  </section>

  ${DEVICES_SECTION}

  ${ADMIN_SECTION}

  <section>
    <div class="actions">
      <button id="signout" data-testid="signout" class="danger" type="button">Sign out</button>
      <button id="signout-everywhere" data-testid="signout-everywhere" class="danger" type="button">Sign out everywhere</button>
    </div>
    ${CONFIRM_FORM}
  </section>
</div>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
