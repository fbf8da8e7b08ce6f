// The page's authorisation UI (bundled with client.ts; markup in authz-page.ts): the admin
// section, filled from `adminStats` or with its 403 message, and "sign out everywhere" asking for
// the password again when the server answers 403 with a failed `freshSession` check.

import { type TRPCClient, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "./router.js";

/** What client.ts lends: its tRPC client, its lookup, its action runner, and how it shows "signed out everywhere". */
interface PageParts {
  trpc: TRPCClient<AppRouter>;
  $: <T extends HTMLElement = HTMLElement>(id: string) => T;
  act(button: HTMLButtonElement, action: () => Promise<void>): Promise<void>;
  signedOutEverywhere(count: number): void;
}

interface FailedCheck {
  id: string;
  reason?: { actualValue?: unknown };
}

/** The failed claim checks of a 403 `INVALID_CLAIM`; undefined for any other error. */
function failedChecks(error: unknown): FailedCheck[] | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data = error.data as { sessionCode?: string; claimValidationErrors?: FailedCheck[] } | undefined;
  return data?.sessionCode === "INVALID_CLAIM" ? (data.claimValidationErrors ?? []) : undefined;
}

export function authorisationUi({ trpc, $, act, signedOutEverywhere }: PageParts) {
  const form = $<HTMLFormElement>("confirm-form");
  const hideConfirm = () => {
    form.reset();
    form.hidden = true;
  };

  /** Fills the admin section: figures for admins, the 403's message (with the role it saw) for others. */
  async function loadAdmin(): Promise<void> {
    const body = $("admin-body");
    try {
      const stats = await trpc.adminStats.query();
      $("admin-role").textContent = "admin";
      body.className = "";
      body.textContent = `${stats.users} accounts. You have ${stats.sessionsOfMine} live sessions.`;
    } catch (error) {
      const failed = failedChecks(error)?.find((check) => check.id === "role");
      if (!failed) throw error;
      const role = String(failed.reason?.actualValue ?? "none");
      $("admin-role").textContent = role;
      body.className = "empty";
      body.textContent = `Only admins can see this section (403: your role is ${role}).`;
    }
  }

  /** Signs out everywhere, or asks for the password first when the sign-in is not recent. */
  async function signOutEverywhere(): Promise<void> {
    try {
      signedOutEverywhere((await trpc.signOutEverywhere.mutate()).signedOut);
    } catch (error) {
      if (!failedChecks(error)?.some((check) => check.id === "freshSession")) throw error;
      $("confirm-reason").textContent = "You signed in more than 5 minutes ago. Confirm your password to sign out everywhere.";
      form.hidden = false;
      $<HTMLInputElement>("confirm-password").focus();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void act($<HTMLButtonElement>("confirm-submit"), async () => {
      // A new session signed in now (same notes), then the call that needed it.
      await trpc.confirmPassword.mutate({ password: $<HTMLInputElement>("confirm-password").value });
      hideConfirm();
      signedOutEverywhere((await trpc.signOutEverywhere.mutate()).signedOut);
    });
  });
  $("confirm-cancel").addEventListener("click", hideConfirm);

  return { loadAdmin, signOutEverywhere, hideConfirm };
}
