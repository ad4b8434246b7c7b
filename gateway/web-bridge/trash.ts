/**
 * The Trash, kept by the session child: an email moved there is hidden from the inbox and can be
 * restored until its time is up (--trash-days), then removed for good, as emptying the Trash
 * does. On a session that can delete (the enhanced protocol) removed means deleted on the
 * server; the classic protocol has no delete, so there the Trash is this computer's alone and an
 * emptied email is only never shown again (`gone`).
 */
import type { MailClient } from '../protocol-client/mail-client.js';
import type { MoveToTrashRequest, TrashItem } from '../messages.js';
import type { MailboxMarks, TrashEntry } from './mailbox-marks.js';

type MoveToTrash = Pick<MoveToTrashRequest, 'emails' | 'restore'>;

const DAY_MS = 86_400_000;

export function trashItems(marks: MailboxMarks, trashDays: number): TrashItem[] {
  return [...marks.content.trash.values()].map((entry) => ({
    mark: entry.mark,
    ...(entry.id === undefined ? {} : { emailId: entry.id }),
    trashedAt: new Date(entry.at).toISOString(),
    expiresAt: new Date(entry.at + trashDays * DAY_MS).toISOString(),
  }));
}

/** Moves emails into the Trash, or restores them (`restore`). */
export function moveToTrash(marks: MailboxMarks, request: MoveToTrash, nowMs = Date.now()): void {
  const { trash, gone } = marks.content;
  for (const { mark, emailId } of request.emails) {
    if (request.restore) trash.delete(mark);
    else if (!trash.has(mark) && !gone.has(mark))
      trash.set(mark, { mark, ...(emailId === undefined ? {} : { id: emailId }), at: nowMs });
  }
  marks.save();
}

/**
 * Removes emails of the Trash for good: deleted on the server where the session can delete (one
 * already gone there counts as removed), else remembered as gone on this computer. Returns the
 * marks removed. A lost connection stops it; what was removed before is saved.
 */
export async function emptyTrash(
  client: MailClient,
  marks: MailboxMarks,
  chosen: readonly string[],
): Promise<{ removed: string[]; onServer: boolean }> {
  const { trash, read, gone } = marks.content;
  const onServer = client.capabilities.delete;
  const removed: string[] = [];
  try {
    for (const mark of chosen) {
      const entry: TrashEntry | undefined = trash.get(mark);
      if (!entry) continue;
      if (onServer && entry.id !== undefined) await client.delete(entry.id);
      else gone.add(mark);
      trash.delete(mark);
      read.delete(mark);
      removed.push(mark);
    }
  } finally {
    if (removed.length > 0) marks.save();
  }
  return { removed, onServer };
}

/** Empties what has been in the Trash longer than `trashDays`; returns the marks removed. */
export async function expireTrash(
  client: MailClient,
  marks: MailboxMarks,
  trashDays: number,
  nowMs = Date.now(),
): Promise<string[]> {
  const due = [...marks.content.trash.values()]
    .filter((entry) => entry.at + trashDays * DAY_MS <= nowMs)
    .map((entry) => entry.mark);
  if (due.length === 0) return [];
  return (await emptyTrash(client, marks, due)).removed;
}
