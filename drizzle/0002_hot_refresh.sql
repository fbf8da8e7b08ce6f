-- HOT refreshes (0.2). The refresh's UPDATE moves expires_at; with expires_at indexed, every
-- refresh wrote a new entry into every index of the table. Without that index no indexed column
-- changes, and fillfactor 90 leaves room on each page for the new row version, so the update
-- stays on its page (heap-only). cleanup() finds expired rows by walking the table in page slices.
-- The fillfactor applies to pages written from now on; existing pages gain the room as they turn over.
DROP INDEX "sessionkit_sessions_expires_at_idx";--> statement-breakpoint
ALTER TABLE "sessionkit_sessions" SET (fillfactor = 90);
