"use client";
// The client side: tRPC over HTTP with sessionRefreshLink, which refreshes the session once when
// a call fails with TRY_REFRESH_TOKEN and retries it.

import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { sessionRefreshLink } from "sessionkit/trpc/client";
import type { AppRouter } from "../lib/router";

const session = sessionRefreshLink<AppRouter>({ baseUrl: "/auth", onSessionExpired: () => window.location.assign("/") });
const trpc = createTRPCClient<AppRouter>({ links: [session, httpBatchLink({ url: "/trpc", fetch: session.fetch })] });

export function Notes({ initial }: { initial: string[] }) {
  const [notes, setNotes] = useState(initial);
  const [text, setText] = useState("");
  const router = useRouter();
  return (
    <section>
      <ul id="notes">
        {notes.map((note, i) => (
          <li key={`${i}-${note}`}>{note}</li>
        ))}
      </ul>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          setNotes(await trpc.addNote.mutate(text));
          setText("");
        }}
      >
        <input id="note" value={text} onChange={(event) => setText(event.target.value)} />
        <button id="add-note" type="submit">
          Add note
        </button>
      </form>
      <button
        id="sign-out"
        type="button"
        onClick={async () => {
          await fetch("/auth/signout", { method: "POST", headers: { rid: "session" }, credentials: "same-origin" });
          router.refresh();
        }}
      >
        Sign out
      </button>
    </section>
  );
}
