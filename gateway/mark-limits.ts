/**
 * Bounds of the user's marks (read, Trash), shared by the browser's messages (messages.ts) and
 * the session child's IPC checks (child-protocol.ts), which loads no package and so not zod.
 */

/** Marks in one request: every email of the largest inbox kept (mark all read on 10,000 and more). */
export const MAX_MARKS_PER_REQUEST = 20_000;

/** What the browser names an email by (markOf in web/src/lib/marks.ts), with room to change it. */
export const MARK_PATTERN = /^[0-9A-Za-z._-]{1,64}$/;
