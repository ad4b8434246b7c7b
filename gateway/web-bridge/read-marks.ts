/**
 * The session child's answers to the browser's requests on its marks: which emails are read
 * (kept sealed on this computer, mailbox-marks.ts, so that a reload or another browser shows
 * them read) and the Trash (trash.ts).
 */
import type { MailClient } from '../protocol-client/mail-client.js';
import type { Reply } from '../messages.js';
import type { SessionRequest } from './child-protocol.js';
import type { MailboxMarks } from './mailbox-marks.js';
import { emptyTrash, expireTrash, moveToTrash, trashItems } from './trash.js';

export type MarkRequest = Extract<
  SessionRequest,
  { type: 'loadMarks' | 'setRead' | 'moveToTrash' | 'emptyTrash' }
>;

/** The user's marks where they are kept, and how long the Trash keeps an email. */
export interface MarksPlace {
  marks: MailboxMarks;
  trashDays: number;
}

export async function answerMarkRequest(
  request: MarkRequest,
  client: MailClient,
  { marks, trashDays }: MarksPlace,
): Promise<Reply> {
  marks.refresh();
  switch (request.type) {
    case 'loadMarks': {
      // What has been in the Trash its time is removed before the Trash is shown.
      const expired = await expireTrash(client, marks, trashDays);
      const { read, gone } = marks.content;
      return {
        type: 'marks',
        id: request.id,
        read: [...read],
        trash: trashItems(marks, trashDays),
        gone: [...gone],
        trashDays,
        trashDeletes: client.capabilities.delete,
        expired,
      };
    }
    case 'setRead': {
      const { read } = marks.content;
      for (const mark of request.marks) {
        if (request.read) read.add(mark);
        else read.delete(mark);
      }
      marks.save();
      return { type: 'marksSaved', id: request.id, trash: trashItems(marks, trashDays) };
    }
    case 'moveToTrash':
      moveToTrash(marks, request);
      return { type: 'marksSaved', id: request.id, trash: trashItems(marks, trashDays) };
    case 'emptyTrash': {
      const { removed, onServer } = await emptyTrash(client, marks, request.marks);
      return { type: 'trashEmptied', id: request.id, removed, onServer };
    }
  }
}
