"use client";
// Rendered by a Server Component that found an expired access token: a render cannot set
// cookies, so the browser refreshes (the refresh cookie is sent only to the refresh path) and asks
// for the page again. A failed refresh clears the cookies: the page then renders signed out.

import { useRouter } from "next/navigation";
import { useEffect } from "react";

export function RefreshSession() {
  const router = useRouter();
  useEffect(() => {
    void fetch("/auth/session/refresh", { method: "POST", headers: { rid: "session" }, credentials: "same-origin" }).finally(() =>
      router.refresh(),
    );
  }, [router]);
  return <p id="session-refresh">Refreshing your session…</p>;
}
