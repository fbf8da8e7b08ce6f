// Forgetting `errorFormatter: sessionErrorFormatter` is silent: clients never see `sessionCode`,
// so every UNAUTHORISED costs them a refresh round trip. tRPC formats an error before it answers
// the request, so a refusal that `sessionErrorFormatter` has not seen a moment later went out
// without its code: warn once per sessions instance.

import type { SessionError } from "../../core/errors.js";
import { diagnosticsOf } from "../../core/internal.js";

/** How long after a refusal its error shape must have been made (a batch waits for its slowest call). */
const CHECK_AFTER_MS = 1000;

const seen = new WeakSet<SessionError>();
const watched = new WeakSet<object>();

/** Called by `sessionErrorFormatter` for every session error it shapes. */
export function formatted(error: SessionError): void {
  seen.add(error);
}

/** Called for each refusal turned into a TRPCError: checks, once per instance, that it was shaped. */
export function expectFormatted(error: SessionError): void {
  const diagnostics = diagnosticsOf(error);
  if (!diagnostics || watched.has(diagnostics)) return;
  watched.add(diagnostics);
  const timer = setTimeout(() => {
    if (seen.has(error)) return;
    diagnostics.warnOnce(
      "trpc-formatter",
      "a tRPC session error went out without error.data.sessionCode: add `errorFormatter: sessionErrorFormatter` " +
        "(from sessionkit/trpc) to initTRPC.create(), or call it inside your own errorFormatter. Without it clients " +
        "cannot tell an expired token from a signed-out user and refresh on every UNAUTHORISED.",
    );
  }, CHECK_AFTER_MS);
  (timer as { unref?: () => void }).unref?.();
}
