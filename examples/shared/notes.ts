// The examples' private notes, kept in session data: the data's shape and the two changes
// both examples make to it through `modifySessionData` (so concurrent edits lose nothing).

import { randomUUID } from "node:crypto";

/** What each session keeps privately in the database (never sent to the browser as a whole). */
export interface SessionData {
  notes: Note[];
  device: string;
}

export interface Note {
  id: string;
  text: string;
  at: string;
}

/** Most notes a session keeps; the oldest go first. */
const MAX_NOTES = 50;

/** Appends a note (`modifySessionData(withNote(text))`). */
export const withNote =
  (text: string) =>
  (data: SessionData): SessionData => ({
    ...data,
    notes: [...(data.notes ?? []), { id: randomUUID(), text, at: new Date().toISOString() }].slice(-MAX_NOTES),
  });

/** Removes the note with this id (`modifySessionData(withoutNote(id))`). */
export const withoutNote =
  (id: string) =>
  (data: SessionData): SessionData => ({ ...data, notes: (data.notes ?? []).filter((n) => n.id !== id) });
