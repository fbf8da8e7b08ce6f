// "Your devices" and "Remember me" on the tRPC example's page in Chromium: a laptop signs in
// without remember me (session cookies, no expiry), a phone-sized window with it; each lists both
// devices with browser, IP and last activity, "this device" on its own; the laptop signs the phone
// out, the phone is signed out at its next click; "sign out all other devices" keeps this one.
// Screenshots go to test-results/browser/devices/ and, for the README, docs/images/.

import { copyFileSync } from "node:fs";
import type { BrowserContext } from "playwright-core";
import { expect, it } from "vitest";
import { describeInChromium } from "./helpers/chromium.js";
import { exampleEnv } from "./helpers/example-env.js";
import type { ExamplePage } from "./helpers/example-page.js";

const PASSWORD = "correct horse battery";

describeInChromium("Your devices and Remember me on the example page in Chromium", () => {
  const env = exampleEnv("devices", { sessionsOptions: { revocation: "notify", cookies: { secure: false } } });

  async function open(prefix: string): Promise<{ context: BrowserContext; ui: ExamplePage }> {
    const opened = await env.open(prefix);
    await opened.ui.waitView("signed-out");
    return opened;
  }
  const authCookies = async (context: BrowserContext) =>
    (await context.cookies()).filter((c) => c.name === "sAccessToken" || c.name === "sRefreshToken");

  async function signIn(ui: ExamplePage, remember: boolean) {
    await ui.fill({ "signin-name": "grace", "signin-password": PASSWORD });
    const box = ui.page.locator("#signin-remember");
    expect(await box.isChecked()).toBe(true); // ticked by default
    if (!remember) await box.uncheck();
    await ui.click("signin-submit");
    await ui.waitText("status", "Signed in as Grace (grace).");
  }

  it("lists devices with browser, IP, last activity and this-device; signs out one and all others; remember me", async () => {
    // The laptop signs in without remember me: both cookies are session cookies (expires -1).
    const laptop = await open("laptop-");
    // An account first (sign-up signs in; sign out again).
    await laptop.ui.fill({ "signup-name": "grace", "signup-display-name": "Grace", "signup-password": PASSWORD });
    await laptop.ui.click("signup-submit");
    await laptop.ui.waitText("status", "Signed in as Grace (grace).");
    await laptop.ui.click("signout");
    await laptop.ui.waitView("signed-out");
    copyFileSync(await laptop.ui.shot("sign-in-remember-me"), "docs/images/example-remember-me.png");
    await signIn(laptop.ui, false);
    const laptopCookies = await authCookies(laptop.context);
    expect(laptopCookies.map((c) => c.name).sort()).toEqual(["sAccessToken", "sRefreshToken"]);
    for (const c of laptopCookies) expect(c.expires, c.name).toBe(-1);

    // The phone signs in with it: cookies with an expiry.
    const phone = await open("phone-");
    await signIn(phone.ui, true);
    for (const c of await authCookies(phone.context)) expect(c.expires, c.name).toBeGreaterThan(Date.now() / 1000);

    // The laptop sees both devices (its own first, marked), each with browser, IP and last activity.
    await laptop.ui.click("sessions-reload");
    await laptop.ui.page.waitForFunction(() => document.querySelectorAll("#sessions-list > li").length === 2);
    const rows = laptop.ui.page.locator("#sessions-list > li");
    expect(await rows.nth(0).getAttribute("data-current")).toBe("true");
    expect(await rows.nth(0).locator('[data-testid="this-device"]').textContent()).toBe("this device");
    expect(await laptop.ui.page.locator('[data-testid="this-device"]').count()).toBe(1);
    const details = await laptop.ui.page.locator('[data-testid="session-details"]').allTextContents();
    expect(details[0]).toMatch(/^127\.0\.0\.1 · last active just now · signed in /);
    expect(details.filter((d) => d.startsWith("127.0.0.1"))).toHaveLength(2);
    expect((await laptop.ui.items("sessions-list"))[0]).toMatch(/^Headless Chrome \d+ on Linux/);
    await laptop.ui.shot("your-devices");
    copyFileSync(await laptop.ui.shot("your-devices-readme"), "docs/images/example-your-devices.png");

    // Sign the phone out from the laptop ("Sign out" on the other row).
    await rows.nth(1).locator('[data-testid="session-revoke"]').click();
    await laptop.ui.waitText("notice", "That device is signed out.");
    expect(await rows.count()).toBe(1);
    expect(await laptop.ui.page.locator("#sessions-revoke-others").isDisabled()).toBe(true);
    // The phone is signed out at its next click.
    await phone.ui.click("sessions-reload");
    await phone.ui.waitView("signed-out");

    // The phone signs in again; "Sign out all other devices" on the laptop: the laptop stays, alone.
    await signIn(phone.ui, true);
    await laptop.ui.click("sessions-reload");
    await laptop.ui.page.waitForFunction(() => document.querySelectorAll("#sessions-list > li").length === 2);
    await laptop.ui.click("sessions-revoke-others");
    await laptop.ui.waitText("notice", "1 other device is signed out.");
    expect(await rows.count()).toBe(1);
    expect(await laptop.ui.text("status")).toBe("Signed in as Grace (grace).");
    copyFileSync(await laptop.ui.shot("other-devices-signed-out"), "docs/images/example-other-devices-signed-out.png");
    // The refresh of a not-remembered session keeps its cookies session-only.
    const refreshed = await laptop.ui.page.evaluate(
      async () => (await fetch("/auth/session/refresh", { method: "POST", headers: { rid: "session" } })).status,
    );
    expect(refreshed).toBe(200);
    for (const c of await authCookies(laptop.context)) expect(c.expires, c.name).toBe(-1);
  });
});
