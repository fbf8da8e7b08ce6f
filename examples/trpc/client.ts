// The page's script (bundled by page.ts with esbuild): a tRPC client with sessionRefreshLink, and
// a small UI that shows errors in words a person can act on. All text goes in via textContent.

import { TRPCClientError, createTRPCClient, httpBatchLink } from "@trpc/client";
import { sessionRefreshLink } from "../../src/adapters/trpc/client.js";
import { authorisationUi } from "./authz-ui.js";
import { devicesUi } from "./devices-ui.js";
import type { AppRouter } from "./router.js";

type Me = Awaited<ReturnType<typeof trpc.me.query>>;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element as T;
};

let refreshes = 0;
let tokenExpiresAt: number | undefined;

/** Reads the access token's expiry from a `front-token` header (base64 JSON, WIRE.md). */
function noteFrontToken(response: Response): void {
  const front = response.headers.get("front-token");
  if (!front || front === "remove") return;
  try {
    const decoded = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(front), (c) => c.charCodeAt(0)))) as { ate?: number };
    if (typeof decoded.ate === "number") {
      tokenExpiresAt = decoded.ate;
      renderExpiry();
    }
  } catch {
    // not ours to judge: the countdown just stays as it was
  }
}

const session = sessionRefreshLink<AppRouter>({
  baseUrl: "/auth",
  async fetch(input, init) {
    const isRefresh = String(input instanceof Request ? input.url : input).endsWith("/session/refresh");
    const response = await fetch(input, init);
    if (isRefresh && response.ok) {
      refreshes++;
      $("refresh-count").textContent = String(refreshes);
    }
    noteFrontToken(response);
    return response;
  },
  onSessionExpired: () => showSignedOut("Your session has ended. Please sign in again."),
});

const trpc = createTRPCClient<AppRouter>({
  links: [session, httpBatchLink({ url: "/trpc", fetch: session.fetch })],
});

const authz = authorisationUi({ trpc, $, act, signedOutEverywhere });
const devices = devicesUi({ trpc, $, act, showSignedOut, showNotice });

// ---- messages ----

function showError(message: string): void {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  $("notice").hidden = true;
}

function showNotice(message: string): void {
  const box = $("notice");
  box.textContent = message;
  box.hidden = false;
  $("error").hidden = true;
}

function clearMessages(): void {
  $("error").hidden = true;
  $("notice").hidden = true;
}

/** What went wrong, in words a person can act on. */
function describeError(error: unknown): { message: string; signedOut?: boolean } {
  if (!(error instanceof TRPCClientError)) return { message: "Something unexpected happened. Please reload the page." };
  const data = error.data as { code?: string; sessionCode?: string; issues?: string[] } | undefined;
  if (!data) return { message: "Cannot reach the server. Check your connection and try again." };
  switch (data.sessionCode) {
    case "TRY_REFRESH_TOKEN":
    case "UNAUTHORISED":
      return { message: "Your session has ended. Please sign in again.", signedOut: true };
    case "TOKEN_THEFT_DETECTED":
      return { message: "For your safety this session was ended (it was used from two places). Please sign in again.", signedOut: true };
    case "GENERAL_ERROR":
      return { message: "The server cannot check your session right now. Please try again in a moment." };
  }
  if (data.issues && data.issues.length > 0) return { message: data.issues.join(" ") };
  switch (data.code) {
    case "BAD_REQUEST":
    case "CONFLICT":
    case "FORBIDDEN":
      return { message: error.message };
    case "TOO_MANY_REQUESTS":
      return { message: "Too many attempts. Please wait a little and try again." };
    default:
      return { message: "Something went wrong on the server. Please try again in a moment." };
  }
}

/** Runs a user action with its button disabled, and reports failures. */
async function act(button: HTMLButtonElement, action: () => Promise<void>): Promise<void> {
  button.disabled = true;
  try {
    await action();
  } catch (error) {
    const { message, signedOut } = describeError(error);
    if (signedOut) showSignedOut(message);
    else showError(message);
  } finally {
    button.disabled = false;
  }
}

// ---- rendering ----

function showSignedOut(message?: string): void {
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
  $("status").textContent = "You are signed out.";
  tokenExpiresAt = undefined;
  authz.hideConfirm();
  if (message) showError(message);
}

function signedOutEverywhere(count: number): void {
  showSignedOut();
  if (count > 1) showNotice(`Every session of yours has ended (${count} sessions).`);
  else $("notice").hidden = true;
}

function renderMe(me: Me): void {
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  $("status").textContent = `Signed in as ${me.displayName} (${me.name}).`;
  $("display-name").textContent = me.displayName;
  $("me-name").textContent = me.name;
  $("me-user-id").textContent = me.userId;
  $("me-payload").textContent = JSON.stringify(me.payload, null, 2);
  tokenExpiresAt = me.accessTokenExpiresAt;
  renderExpiry();
}

function renderExpiry(): void {
  const element = $("token-expiry");
  if (tokenExpiresAt === undefined) {
    element.textContent = "";
    return;
  }
  const seconds = Math.round((tokenExpiresAt - Date.now()) / 1000);
  element.textContent = seconds > 0 ? `expires in ${seconds} s` : "expired: your next action refreshes it silently";
}
setInterval(renderExpiry, 1000);

type Notes = Awaited<ReturnType<typeof trpc.notes.list.query>>;

function renderNotes(notes: Notes): void {
  const list = $("notes-list");
  list.replaceChildren();
  if (notes.length === 0) {
    const empty = document.createElement("li");
    empty.className = "empty";
    empty.dataset.testid = "notes-empty";
    empty.textContent = "No notes yet.";
    list.append(empty);
  }
  for (const note of notes) {
    const item = document.createElement("li");
    item.dataset.testid = "note";
    item.dataset.noteId = note.id;
    const text = document.createElement("span");
    text.textContent = note.text;
    const when = document.createElement("small");
    when.textContent = new Date(note.at).toLocaleString();
    text.append(when);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.dataset.testid = "note-remove";
    remove.textContent = "Remove";
    remove.addEventListener("click", () => act(remove, async () => renderNotes(await trpc.notes.remove.mutate({ id: note.id }))));
    item.append(text, remove);
    list.append(item);
  }
}

/** Loads everything the signed-in view shows, in one batched request. */
async function loadSignedIn(): Promise<void> {
  const [me, notes, sessions] = await Promise.all([trpc.me.query(), trpc.notes.list.query(), devices.load(), authz.loadAdmin()]);
  renderMe(me);
  renderNotes(notes);
  devices.render(sessions);
}

// ---- wiring ----

function onSubmit(formId: string, buttonId: string, action: (form: HTMLFormElement) => Promise<void>): void {
  const form = $<HTMLFormElement>(formId);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void act($<HTMLButtonElement>(buttonId), () => action(form));
  });
}

const value = (id: string) => $<HTMLInputElement>(id).value;

onSubmit("signup-form", "signup-submit", async (form) => {
  const displayName = value("signup-display-name").trim();
  await trpc.signUp.mutate({ name: value("signup-name"), password: value("signup-password"), ...(displayName ? { displayName } : {}) });
  form.reset();
  await loadSignedIn();
  showNotice("Welcome! Your account is ready.");
});

onSubmit("signin-form", "signin-submit", async (form) => {
  await trpc.signIn.mutate({
    name: value("signin-name"),
    password: value("signin-password"),
    remember: $<HTMLInputElement>("signin-remember").checked,
  });
  form.reset();
  await loadSignedIn();
  clearMessages();
});

onSubmit("rename-form", "rename-submit", async (form) => {
  renderMe(await trpc.rename.mutate({ displayName: value("rename-input") }));
  form.reset();
  showNotice("Display name changed.");
});

onSubmit("note-form", "note-add", async (form) => {
  renderNotes(await trpc.notes.add.mutate({ text: value("note-input") }));
  form.reset();
  clearMessages();
});

$("signout").addEventListener("click", (event) =>
  act(event.currentTarget as HTMLButtonElement, async () => {
    await trpc.signOut.mutate();
    // The status line says "You are signed out."; a notice saying it again would be noise.
    showSignedOut();
    $("notice").hidden = true;
  }),
);

$("signout-everywhere").addEventListener("click", (event) =>
  act(event.currentTarget as HTMLButtonElement, () => authz.signOutEverywhere()),
);

// On load: a protected call. An expired access token is refreshed silently by the link; no
// session at all is simply the signed-out view, not an error.
loadSignedIn().catch((error: unknown) => {
  const { message, signedOut } = describeError(error);
  const code = error instanceof TRPCClientError ? (error.data as { sessionCode?: string } | undefined)?.sessionCode : undefined;
  if (code === "UNAUTHORISED") showSignedOut();
  else if (signedOut) showSignedOut(message);
  else {
    showSignedOut();
    showError(message);
  }
});
