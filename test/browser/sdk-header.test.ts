// The unmodified SuperTokens frontend SDK (supertokens-web-js 0.16.0, its browser bundle) in
// headless Chromium with `tokenTransferMethod: "header"` against sessionkit (issue 20): across
// origins through the Node handlers (the token headers must be exposed by CORS; anti-CSRF
// via-token for the cookie client of the mixed step), and on one origin through the fetch
// handlers with `tokenTransfer: "header"`, and across origins through the fetch handlers.

import { describeInChromium } from "./helpers/chromium.js";
import { browserEnv } from "./helpers/env.js";
import { sdkHeaderSteps } from "./helpers/sdk-header-scenarios.js";

describeInChromium("supertokens-web-js in Chromium, tokenTransferMethod header", () => {
  const env = browserEnv();

  sdkHeaderSteps(
    { antiCsrf: "via-token", crossOrigin: true, adapter: "node" },
    ["probe", "signIn", "protected", "expiry", "payload", "revoke", "signOut", "tabs", "replay", "mixed", "switch"],
    env,
  );
  sdkHeaderSteps(
    { antiCsrf: "via-custom-header", crossOrigin: false, adapter: "fetch", tokenTransfer: "header", revocation: "check-database" },
    ["probe", "signIn", "protected", "expiry", "payload", "revoke", "signOut", "tabs"],
    env,
  );
  // Across origins through the fetch handlers: Yoga's own CORS and tRPC's fetch adapter must let the token headers through.
  sdkHeaderSteps({ antiCsrf: "via-custom-header", crossOrigin: true, adapter: "fetch" }, ["signIn", "payload", "signOut"], env);
  // Cookie mode exposing the access token to the page (supertokens-node's option, for apps that forward it).
  sdkHeaderSteps({ antiCsrf: "via-custom-header", crossOrigin: true, adapter: "node", exposeAccessToken: true }, ["exposed"], env);
});
