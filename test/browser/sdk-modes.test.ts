// The SuperTokens SDK (supertokens-web-js 0.16.0) in Chromium against sessionkit in the other
// anti-CSRF modes: "via-token" across origins (the anti-csrf header must be exposed by CORS and
// echoed by the SDK) and "none" on one origin, each with the steps where the mode matters.

import { describeInChromium } from "./helpers/chromium.js";
import { browserEnv } from "./helpers/env.js";
import { sdkSteps } from "./helpers/sdk-scenarios.js";

describeInChromium("supertokens-web-js in Chromium, anti-CSRF via-token and none", () => {
  const env = browserEnv();

  sdkSteps(
    { antiCsrf: "via-token", crossOrigin: true, adapter: "fetch" },
    ["probe", "signIn", "protected", "expiry", "payload", "signOut", "tabs"],
    env,
  );
  sdkSteps(
    { antiCsrf: "none", crossOrigin: false, adapter: "node", revocation: "check-database" },
    ["signIn", "protected", "expiry", "revoke", "replay"],
    env,
  );
});
