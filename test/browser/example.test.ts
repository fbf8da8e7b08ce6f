// A person using the tRPC example's page (what `npm start` serves) in Chromium: sign up, sign in,
// rename, notes, reload, silent refresh, sign out, sign in again, "sign out everywhere" from a
// second device. Each step is checked on the page and saved as test-results/browser/example/NN-*.png.
// Expiry moves the server's clock (test-only route) and the page's clock (Playwright) together.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { expect, it } from "vitest";
import { describeInChromium } from "./helpers/chromium.js";
import { exampleEnv } from "./helpers/example-env.js";
import { ExamplePage } from "./helpers/example-page.js";

const TTL = 60;
const PASSWORD = "correct horse battery";

describeInChromium("the example page in Chromium", () => {
  const env = exampleEnv("example", {
    clock: true,
    sessionsOptions: { accessTokenTtl: TTL, revocation: "notify", cookies: { secure: false } },
  });
  const open = env.open;
  const sessionCookies = async (context: BrowserContext) =>
    (await context.cookies()).filter((c) => c.name === "sAccessToken" || c.name === "sRefreshToken").map((c) => c.name);

  it("sign up, sign in, rename, notes, reload, silent refresh, sign out, sign in again, sign out everywhere", async () => {
    const name = "ada"; // the users table lives in this test's own database
    const { context, ui } = await open();

    // A fresh visitor: the signed-out view, no error.
    await ui.waitView("signed-out");
    expect(await ui.text("status")).toBe("You are signed out.");
    expect(await ui.visible("error")).toBe(false);
    await ui.shot("signed-out");

    // Sign up: signed in at once, welcomed by name.
    await ui.fill({ "signup-name": name, "signup-display-name": "Ada", "signup-password": PASSWORD });
    await ui.click("signup-submit");
    await ui.waitText("status", `Signed in as Ada (${name}).`);
    expect(await ui.text("notice")).toBe("Welcome! Your account is ready.");
    await ui.shot("signed-up");

    // Sign out, then sign in with the same name and password.
    await ui.click("signout");
    await ui.waitView("signed-out");
    await ui.fill({ "signin-name": name, "signin-password": PASSWORD });
    await ui.click("signin-submit");
    // The status changes only once everything is rendered (the hidden view keeps old text).
    await ui.waitText("status", `Signed in as Ada (${name}).`);
    expect(await ui.text("display-name")).toBe("Ada");
    expect(await ui.text("me-name")).toBe(name);
    const userId = await ui.text("me-user-id");
    expect(userId).toMatch(/\S/);
    expect(await ui.text("token-expiry")).toMatch(/^expires in (59|60) s$/);
    expect(await ui.items("sessions-list")).toEqual([expect.stringMatching(/^Headless Chrome \d+ on Linux/)]);
    expect(await ui.items("notes-list")).toEqual(["No notes yet."]);
    await ui.shot("signed-in");

    // Rename: the new name shows at once, from the new access token, with no refresh.
    await ui.fill({ "rename-input": "Countess Ada" });
    await ui.click("rename-submit");
    await ui.waitText("display-name", "Countess Ada");
    expect(await ui.text("status")).toBe(`Signed in as Countess Ada (${name}).`);
    expect(await ui.text("notice")).toBe("Display name changed.");
    expect(JSON.parse(await ui.text("me-payload"))).toMatchObject({ displayName: "Countess Ada", name });
    expect(await ui.text("refresh-count")).toBe("0");
    await ui.shot("renamed");

    // A note, kept in the session's data on the server.
    await ui.fill({ "note-input": "buy milk" });
    await ui.click("note-add");
    await ui.waitText("notes-list", "buy milk");
    expect(await ui.items("notes-list")).toEqual(["buy milk"]);
    const [handle] = await env.app().sessions.getAllSessionHandlesForUser(userId);
    const info = await env.app().sessions.getSessionInformation(handle!);
    expect(info?.sessionData).toMatchObject({ notes: [{ text: "buy milk" }] });
    await ui.shot("note-added");

    // Reload: still signed in, same name, same note.
    await ui.page.reload();
    await ui.waitText("status", `Signed in as Countess Ada (${name}).`);
    expect(await ui.items("notes-list")).toEqual(["buy milk"]);
    await ui.shot("reloaded");

    // The access token expires (server and page clocks both move): the page says so, and the
    // next action refreshes silently.
    await fetch(`${env.url()}/__test/clock?advance=${(TTL + 5) * 1000}`, { method: "POST" });
    await ui.page.clock.fastForward((TTL + 5) * 1000);
    await ui.waitText("token-expiry", "expired: your next action refreshes it silently");
    await ui.shot("token-expired");
    // Each button sits exactly beside its input: same top, same height (0.1 was a few px off).
    for (const [input, button] of [
      ["rename-input", "rename-submit"],
      ["note-input", "note-add"],
    ]) {
      const a = await ui.page.locator(`#${input}`).boundingBox();
      const b = await ui.page.locator(`#${button}`).boundingBox();
      expect(Math.abs((a?.y ?? 0) - (b?.y ?? 99)), `${button} top`).toBeLessThan(0.5);
      expect(Math.abs((a?.height ?? 0) - (b?.height ?? 99)), `${button} height`).toBeLessThan(0.5);
    }
    await ui.fill({ "note-input": "call Charles" });
    await ui.click("note-add");
    await ui.waitText("notes-list", "call Charles");
    expect(await ui.items("notes-list")).toEqual(["buy milk", "call Charles"]);
    expect(await ui.text("refresh-count")).toBe("1");
    expect(await ui.text("token-expiry")).toMatch(/^expires in (59|60) s$/);
    expect(await ui.visible("error")).toBe(false);
    await ui.shot("refreshed-silently");

    // Sign out: the signed-out view, and the session cookies are gone.
    await ui.click("signout");
    await ui.waitView("signed-out");
    // Said once: in the status line, not again in a notice (0.1 showed it twice).
    expect(await ui.text("status")).toBe("You are signed out.");
    expect(await ui.visible("notice")).toBe(false);
    // biome-ignore lint/performance/useDomNodeTextContent: what a person sees (hidden elements keep old text)
    expect((await ui.page.locator("body").innerText()).split("You are signed out.").length - 1).toBe(1);
    expect(await sessionCookies(context)).toEqual([]);
    await ui.shot("signed-out-again");

    // Sign in again: a new session with the name kept, and its own (empty) notes.
    await ui.fill({ "signin-name": name, "signin-password": PASSWORD });
    await ui.click("signin-submit");
    await ui.waitText("status", `Signed in as Countess Ada (${name}).`);
    expect(await ui.items("notes-list")).toEqual(["No notes yet."]);
    expect(await ui.items("sessions-list")).toHaveLength(1);
    await ui.shot("signed-in-again");

    // A second device signs in: both sessions are listed there.
    const second = await open("second-");
    await second.ui.waitView("signed-out");
    await second.ui.fill({ "signin-name": name, "signin-password": PASSWORD });
    await second.ui.click("signin-submit");
    await second.ui.waitText("status", `Signed in as Countess Ada (${name}).`);
    expect(await second.ui.items("sessions-list")).toHaveLength(2);
    await second.ui.shot("two-sessions");

    // "Sign out everywhere" from the second device ends both sessions.
    await second.ui.click("signout-everywhere");
    await second.ui.waitView("signed-out");
    expect(await second.ui.text("notice")).toBe("Every session of yours has ended (2 sessions).");
    // biome-ignore lint/performance/useDomNodeTextContent: what a person sees (hidden elements keep old text)
    expect((await second.ui.page.locator("body").innerText()).split("You are signed out.").length - 1).toBe(1);
    expect(await sessionCookies(second.context)).toEqual([]);
    await second.ui.shot("signed-out-everywhere");
    expect(await env.app().sessions.getAllSessionHandlesForUser(userId)).toEqual([]);

    // The first device learns it at its next action (revocation "notify": no waiting for expiry).
    await ui.fill({ "note-input": "still here?" });
    await ui.click("note-add");
    await ui.waitView("signed-out");
    expect(await ui.text("error")).toBe("Your session has ended. Please sign in again.");
    expect(await sessionCookies(context)).toEqual([]);
    await ui.shot("ended-by-other-device");
    await ui.page.reload();
    await ui.waitView("signed-out");
    expect(await ui.text("status")).toBe("You are signed out.");
  }, 60_000);

  it("`npm start` (examples/trpc/server.ts on PGlite in a temp dir) serves a page a person can use", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sessionkit-example-"));
    // What `npm start` runs, with its environment: Node adapter, anti-CSRF via-token.
    const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "examples/trpc/server.ts"], {
      env: { ...process.env, PORT: "0", DATA_DIR: dataDir, ADAPTER: "node", ANTI_CSRF: "via-token", ACCESS_TOKEN_TTL: "60" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = "";
        const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 30_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const found = /at (http:\/\/localhost:\d+)\//.exec(output);
          if (found) {
            clearTimeout(timer);
            resolve(found[1]!.replace("localhost", "127.0.0.1"));
          }
        };
        child.stdout?.on("data", onData);
        child.stderr?.on("data", onData);
        child.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
      });
      const context = await env.newContext();
      const ui = new ExamplePage(await context.newPage(), env.dir, "npm-start-");
      await ui.page.goto(`${url}/`);
      await ui.waitView("signed-out");
      await ui.fill({ "signup-name": "grace", "signup-display-name": "Grace Hopper", "signup-password": PASSWORD });
      await ui.click("signup-submit");
      await ui.waitText("status", "Signed in as Grace Hopper (grace).");
      await ui.fill({ "note-input": "find the moth" });
      await ui.click("note-add");
      await ui.waitText("notes-list", "find the moth");
      await ui.page.reload();
      await ui.waitText("status", "Signed in as Grace Hopper (grace).");
      expect(await ui.items("notes-list")).toEqual(["find the moth"]);
      await ui.shot("signed-in");
      await ui.click("signout");
      await ui.waitView("signed-out");
      expect(await sessionCookies(context)).toEqual([]);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
