// Runs once when the server starts: applies sessionkit's migrations (on the Node.js runtime only).

export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { migrate } = await import("sessionkit/drizzle");
  const { db } = await import("./lib/sessions");
  await migrate(db);
}
