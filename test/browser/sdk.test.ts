// The unmodified SuperTokens frontend SDK (supertokens-web-js 0.16.0, its browser bundle) in
// headless Chromium against sessionkit, with the default anti-CSRF mode: every step, with the
// page and the API on one origin (fetch handlers) and on two (Node middleware, CORS).

import { describeInChromium } from "./helpers/chromium.js";
import { browserEnv } from "./helpers/env.js";
import { ALL_STEPS, sdkSteps } from "./helpers/sdk-scenarios.js";

describeInChromium("supertokens-web-js in Chromium, anti-CSRF via-custom-header", () => {
  const env = browserEnv();

  sdkSteps({ antiCsrf: "via-custom-header", crossOrigin: false, adapter: "fetch" }, ALL_STEPS, env);
  sdkSteps({ antiCsrf: "via-custom-header", crossOrigin: true, adapter: "node" }, ALL_STEPS, env);
});
