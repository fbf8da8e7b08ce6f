// Driving the tRPC example's page (examples/trpc/page.ts) like a person: by its stable ids, reading
// what it shows, with a numbered screenshot of each step.

import { join } from "node:path";
import type { Page } from "playwright-core";

/** The example page in one browser context, with its screenshots in `dir`. */
export class ExamplePage {
  #shots = 0;

  constructor(
    readonly page: Page,
    private readonly dir: string,
    private readonly prefix = "",
  ) {}

  /** The text of an element, trimmed. */
  async text(id: string): Promise<string> {
    return ((await this.page.locator(`#${id}`).textContent()) ?? "").trim();
  }

  async visible(id: string): Promise<boolean> {
    return this.page.locator(`#${id}`).isVisible();
  }

  /** Waits until the element shows `expected` (10 s), then returns its whole text. */
  async waitText(id: string, expected: string): Promise<string> {
    try {
      await this.page.waitForFunction(
        ([i, t]) => (document.getElementById(i as string)?.textContent ?? "").includes(t as string),
        [id, expected] as const,
        { timeout: 10_000 },
      );
    } catch {
      throw new Error(
        `#${id} never showed "${expected}"; it shows "${await this.text(id)}" (status: "${await this.text("status")}", error: "${await this.text("error")}")`,
      );
    }
    return this.text(id);
  }

  /** Waits for the signed-in or the signed-out view. */
  async waitView(view: "signed-in" | "signed-out"): Promise<void> {
    await this.page.locator(`#${view}`).waitFor({ state: "visible", timeout: 10_000 });
  }

  async fill(values: Record<string, string>): Promise<void> {
    for (const [id, value] of Object.entries(values)) await this.page.locator(`#${id}`).fill(value);
  }

  async click(id: string): Promise<void> {
    await this.page.locator(`#${id}`).click();
  }

  /** The visible lines of a list (`notes-list`, `sessions-list`), without their buttons. */
  async items(listId: string): Promise<string[]> {
    return this.page
      .locator(`#${listId} > li`)
      .evaluateAll((items) => items.map((li) => (li.querySelector("span")?.firstChild ?? li).textContent?.trim() ?? ""));
  }

  /** Saves `NN-name.png` (the whole page) and returns its path. */
  async shot(name: string): Promise<string> {
    const file = join(this.dir, `${this.prefix}${String(++this.#shots).padStart(2, "0")}-${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true, animations: "disabled", caret: "hide" });
    return file;
  }
}
