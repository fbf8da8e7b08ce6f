import { defineConfig } from "drizzle-kit";

// Generates the shipped migrations in drizzle/ from src/storage/schema.ts (npm run db:generate).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/storage/schema.ts",
  out: "./drizzle",
});
