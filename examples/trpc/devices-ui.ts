// The page's "Your devices" panel (bundled with client.ts; markup in devices-page.ts): each
// session's browser, IP and last activity, "this device" on the current one, sign out one device
// or all the others.

import type { TRPCClient } from "@trpc/client";
import type { AppRouter } from "./router.js";

/** What client.ts lends: its tRPC client, its lookup, its action runner and messages. */
interface PageParts {
  trpc: TRPCClient<AppRouter>;
  $: <T extends HTMLElement = HTMLElement>(id: string) => T;
  act(button: HTMLButtonElement, action: () => Promise<void>): Promise<void>;
  showSignedOut(): void;
  showNotice(message: string): void;
}

type DeviceList = Awaited<ReturnType<TRPCClient<AppRouter>["mySessions"]["list"]["query"]>>;

/** "just now", "5 min ago", "3 h ago", else the date. */
function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

export function devicesUi({ trpc, $, act, showSignedOut, showNotice }: PageParts) {
  function render(devices: DeviceList): void {
    const list = $("sessions-list");
    list.replaceChildren();
    for (const d of devices) {
      const item = document.createElement("li");
      item.dataset.testid = "session";
      item.dataset.current = String(d.current);
      const text = document.createElement("span");
      text.textContent = d.device;
      if (d.current) {
        const tag = document.createElement("span");
        tag.className = "tag";
        tag.dataset.testid = "this-device";
        tag.textContent = "this device";
        text.append(tag);
      }
      const details = document.createElement("small");
      details.dataset.testid = "session-details";
      details.textContent = `${d.ip ?? "IP unknown"} · last active ${ago(d.lastActiveAt)} · signed in ${new Date(d.createdAt).toLocaleString()}`;
      text.append(details);
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "danger";
      revoke.dataset.testid = "session-revoke";
      revoke.textContent = d.current ? "Sign out here" : "Sign out";
      revoke.addEventListener("click", () =>
        act(revoke, async () => {
          const result = await trpc.mySessions.revoke.mutate({ handle: d.handle });
          if (result.signedOut) {
            showSignedOut();
            $("notice").hidden = true;
          } else {
            render(await trpc.mySessions.list.query());
            showNotice("That device is signed out.");
          }
        }),
      );
      item.append(text, revoke);
      list.append(item);
    }
    $<HTMLButtonElement>("sessions-revoke-others").disabled = devices.length < 2;
  }

  $("sessions-reload").addEventListener("click", (event) =>
    act(event.currentTarget as HTMLButtonElement, async () => render(await trpc.mySessions.list.query())),
  );
  $("sessions-revoke-others").addEventListener("click", (event) =>
    act(event.currentTarget as HTMLButtonElement, async () => {
      const { signedOut } = await trpc.mySessions.revokeOthers.mutate();
      render(await trpc.mySessions.list.query());
      showNotice(signedOut === 1 ? "1 other device is signed out." : `${signedOut} other devices are signed out.`);
    }),
  );

  return { render, load: () => trpc.mySessions.list.query() };
}
