// The tRPC example's authorisation in Chromium: an admin (by the user record) sees the admin
// section's figures, a member sees its 403 message and stays signed in; "sign out everywhere"
// after more than 5 minutes asks for the password (a wrong one is refused), then ends every
// session. Screenshots in test-results/browser/example-authz/.

import type { BrowserContext } from "playwright-core";
import { expect, it } from "vitest";
import { FRESH_SIGN_IN_SECONDS } from "../../examples/trpc/authz.js";
import { describeInChromium } from "./helpers/chromium.js";
import { exampleEnv } from "./helpers/example-env.js";

const PASSWORD = "correct horse battery";

describeInChromium("the example page's admin section and password confirmation in Chromium", () => {
  const env = exampleEnv("example-authz", {
    clock: true,
    admins: ["grace"],
    sessionsOptions: { accessTokenTtl: 60, revocation: "notify", cookies: { secure: false } },
  });
  const open = env.open;
  const sessionCookies = async (context: BrowserContext) =>
    (await context.cookies()).filter((c) => c.name === "sAccessToken" || c.name === "sRefreshToken").map((c) => c.value);

  it("admin figures for an admin, the 403 message for a member, and sign out everywhere after confirming the password", async () => {
    const grace = await open("admin-");
    await grace.ui.waitView("signed-out");
    await grace.ui.fill({ "signup-name": "grace", "signup-display-name": "Grace", "signup-password": PASSWORD });
    await grace.ui.click("signup-submit");
    await grace.ui.waitText("admin-body", "1 accounts. You have 1 live sessions.");
    expect(await grace.ui.text("admin-role")).toBe("admin");
    await grace.ui.shot("admin-section");

    const ada = await open("member-");
    await ada.ui.waitView("signed-out");
    await ada.ui.fill({ "signup-name": "ada", "signup-display-name": "Ada", "signup-password": PASSWORD });
    await ada.ui.click("signup-submit");
    await ada.ui.waitText("admin-body", "Only admins can see this section (403: your role is member).");
    expect(await ada.ui.text("admin-role")).toBe("member");
    // A 403 is not a session problem: still signed in, no error box, same cookies after a reload.
    expect(await ada.ui.text("status")).toBe("Signed in as Ada (ada).");
    expect(await ada.ui.visible("error")).toBe(false);
    const cookies = await sessionCookies(ada.context);
    await ada.ui.page.reload();
    await ada.ui.waitText("admin-body", "Only admins can see this section");
    expect(await ada.ui.text("status")).toBe("Signed in as Ada (ada).");
    expect(await sessionCookies(ada.context)).toEqual(cookies);
    expect(await ada.ui.text("refresh-count")).toBe("0");
    await ada.ui.shot("member-sees-403");

    // A second device of Ada's, then time passes (silent refreshes keep the sign-in time).
    const phone = await open("member-phone-");
    await phone.ui.waitView("signed-out");
    await phone.ui.fill({ "signin-name": "ada", "signin-password": PASSWORD });
    await phone.ui.click("signin-submit");
    await phone.ui.waitText("status", "Signed in as Ada (ada).");
    const later = (FRESH_SIGN_IN_SECONDS + 10) * 1000;
    await fetch(`${env.url()}/__test/clock?advance=${later}`, { method: "POST" });
    await ada.ui.page.clock.fastForward(later);

    // Sign out everywhere: the page asks for the password first, nothing is signed out yet.
    await ada.ui.click("signout-everywhere");
    await ada.ui.waitText("confirm-reason", "Confirm your password to sign out everywhere.");
    expect(await ada.ui.visible("confirm-form")).toBe(true);
    expect(await ada.ui.text("status")).toBe("Signed in as Ada (ada).");
    expect(await env.app().sessions.getAllSessionHandlesForUser(await ada.ui.text("me-user-id"))).toHaveLength(2);
    await ada.ui.shot("confirm-password");
    await ada.ui.fill({ "confirm-password": "not my password" });
    await ada.ui.click("confirm-submit");
    await ada.ui.waitText("error", "Wrong password.");
    expect(await ada.ui.visible("confirm-form")).toBe(true);
    await ada.ui.shot("wrong-password");

    await ada.ui.fill({ "confirm-password": PASSWORD });
    await ada.ui.click("confirm-submit");
    await ada.ui.waitView("signed-out");
    expect(await ada.ui.text("notice")).toBe("Every session of yours has ended (2 sessions).");
    expect(await ada.ui.visible("confirm-form")).toBe(false);
    expect(await sessionCookies(ada.context)).toEqual([]);
    await ada.ui.shot("signed-out-everywhere");

    // The phone learns it at its next action; Grace is untouched.
    await phone.ui.page.reload();
    await phone.ui.waitView("signed-out");
    await grace.ui.page.reload();
    await grace.ui.waitText("admin-body", "accounts. You have 1 live sessions.");
  }, 90_000);
});
