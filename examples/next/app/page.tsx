// The page, a React Server Component: reads the session (read-only: a render cannot set
// cookies) and calls the router in-process. An expired access token renders <RefreshSession/>,
// which refreshes in the browser and renders the page again: never a silent sign-out.

import { headers } from "next/headers";
import { readSession } from "sessionkit/next";
import { serverCaller } from "../lib/server-caller";
import { sessions } from "../lib/sessions";
import { signIn } from "./actions";
import { Notes } from "./notes";
import { RefreshSession } from "./refresh-session";

export default async function Page({ searchParams }: { searchParams: Promise<{ error?: string }> }) {
  const { session, refresh } = await readSession(sessions, await headers());
  if (refresh) return <RefreshSession />;
  if (!session) {
    const { error } = await searchParams;
    return (
      <form action={signIn} id="sign-in">
        {error ? <p id="sign-in-error">Wrong name or password.</p> : null}
        <input name="name" placeholder="name" />
        <input name="password" type="password" placeholder="password" />
        <button type="submit">Sign in</button>
      </form>
    );
  }
  const caller = await serverCaller();
  const [me, notes] = await Promise.all([caller.me(), caller.notes()]);
  return (
    <main>
      <h1 id="greeting">Signed in as {me.name}</h1>
      <p id="user-id">{me.userId}</p>
      <Notes initial={notes} />
    </main>
  );
}
