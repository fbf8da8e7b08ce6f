"use server";
// Sign-in as a Server Action (a plain <form>, works before any JavaScript loads). Next checks a
// Server Action's Origin against the host itself, which is the login-CSRF protection here; the
// session's cookies go out through cookies().

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { applySessionCookies } from "sessionkit/next";
import { checkPassword, sessions } from "../lib/sessions";

export async function signIn(formData: FormData) {
  const name = String(formData.get("name") ?? "")
    .trim()
    .toLowerCase();
  const userId = await checkPassword(name, String(formData.get("password") ?? ""));
  if (!userId) redirect("/?error=credentials");
  const out = new Headers();
  await sessions.createNewSession({ userId, jwtPayload: { name } }, out);
  applySessionCookies(out, await cookies());
  redirect("/");
}
