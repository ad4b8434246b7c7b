/**
 * The messages of the user's marks: read and unread, and the Trash (kept by the session child,
 * gateway/web-bridge/read-marks.ts, trash.ts). Part of the one definition of messages.ts, which
 * puts these in its request and reply unions.
 */
import { z } from 'zod';
import { MARK_PATTERN, MAX_MARKS_PER_REQUEST } from './mark-limits.js';
import { emailId, requestId } from './message-fields.js';

export { MAX_MARKS_PER_REQUEST };

/** The browser's name of an email for its marks (web/src/lib/marks.ts); the gateway keeps it as given. */
const mark = z
  .string()
  .regex(MARK_PATTERN, 'a mark is 1 to 64 letters, digits, dots, dashes or underscores');
const marks = z.array(mark).min(1).max(MAX_MARKS_PER_REQUEST);

/**
 * The user's read marks and Trash, kept by the session process (sealed, on this computer):
 * asked once a session starts; emails whose time in the Trash is up are removed first.
 */
export const LoadMarksRequestSchema = z.object({ type: z.literal('loadMarks'), id: requestId });
/** Marks emails read or unread (`marks`: all of them at once for "Mark all read"). */
export const SetReadRequestSchema = z.object({
  type: z.literal('setRead'),
  id: requestId,
  marks,
  read: z.boolean(),
});
/** Moves emails to the Trash (with their server ids where the session lists them), or back out (`restore`). */
export const MoveToTrashRequestSchema = z.object({
  type: z.literal('moveToTrash'),
  id: requestId,
  emails: z
    .array(z.object({ mark, emailId: emailId.optional() }))
    .min(1)
    .max(MAX_MARKS_PER_REQUEST),
  restore: z.boolean().optional(),
});
/** Removes emails of the Trash for good: deleted on the server where the session can delete. */
export const EmptyTrashRequestSchema = z.object({
  type: z.literal('emptyTrash'),
  id: requestId,
  marks,
});

export type MoveToTrashRequest = z.infer<typeof MoveToTrashRequestSchema>;

/** An email in the Trash, as the session process keeps it. */
export interface TrashItem {
  mark: string;
  emailId?: string;
  /** When it went to the Trash, and when it is removed for good (ISO 8601). */
  trashedAt: string;
  expiresAt: string;
}

/** What the session process keeps of the user's marks (`loadMarks`), and what the Trash does here. */
export interface MailboxMarksView {
  read: string[];
  trash: TrashItem[];
  /** Emptied from a Trash that could not delete them on the server: never shown again. */
  gone: string[];
  /** How long an email stays in the Trash (the gateway's --trash-days). */
  trashDays: number;
  /** Emptying the Trash deletes on the server (the session can delete); else it is local only. */
  trashDeletes: boolean;
  /** Emails whose time in the Trash was up, removed as the marks were loaded. */
  expired: string[];
}

/** The session child's answers to the requests above. */
export type MarkReply =
  | ({ type: 'marks'; id: number } & MailboxMarksView)
  | { type: 'marksSaved'; id: number; trash: TrashItem[] }
  | {
      type: 'trashEmptied';
      id: number;
      /** The marks removed: deleted on the server (or gone there already), or, without delete, hidden for good. */
      removed: string[];
      /** Whether they were deleted on the server. */
      onServer: boolean;
    };
