// The migrations embedded in the package are exactly drizzle-kit's output in drizzle/.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { migrations } from "../../src/storage/migrations.js";

describe("shipped migrations", () => {
  it("match drizzle/ (run npm run db:generate after changing the schema)", () => {
    const journal = JSON.parse(readFileSync("drizzle/meta/_journal.json", "utf8"));
    expect(migrations.map((m) => m.tag)).toEqual(journal.entries.map((e: { tag: string }) => e.tag));
    for (const m of migrations) {
      const text = readFileSync(`drizzle/${m.tag}.sql`, "utf8");
      expect(m.hash).toBe(createHash("sha256").update(text).digest("hex"));
    }
  });
});
