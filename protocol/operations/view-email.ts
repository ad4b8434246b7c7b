/**
 * H, viewing an email:
 *
 *   server -> client  "the server request email index"
 *   client -> server  the index, from 1, in the last listing
 *   server -> client  the stored email (section F), or "Invalid email index: ..." when there is none
 *
 * From session version 2 the client may answer "id:" and an email's id instead of an index,
 * so that an email is read as listed even when the listing has changed since.
 */
import { EmailError, parseStoredEmail, type StoredEmail } from '../email.js';
import {
  INVALID_INDEX_PREFIX,
  REQUEST_EMAIL_INDEX,
  invalidIndexText,
  noSuchEmailText,
} from '../texts.js';
import { expectMessage } from './expect.js';
import type { EmailRef, MenuOperation } from './types.js';

export type ReadResult =
  /** `email` is undefined when the text is not in the stored format (another implementation's file, say). */
  | { kind: 'email'; text: string; email: StoredEmail | undefined }
  | { kind: 'refused'; text: string };

/** The index, asked for once the server has requested it (the terminal client asks the user then). */
export type IndexSource = () => Promise<string>;

/** An index as the server takes it: up to nine digits; anything else names no email. */
export function parseEmailIndex(answer: string): number | undefined {
  const trimmed = answer.trim();
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : undefined;
}

const ID_PREFIX = 'id:';

/** How a client names an email by id in its answer (session version 2). */
export const emailIdAnswer = (id: string): string => `${ID_PREFIX}${id}`;

function parseEmailRef(answer: string, acceptsIds: boolean): EmailRef {
  const trimmed = answer.trim();
  if (acceptsIds && trimmed.startsWith(ID_PREFIX)) return { id: trimmed.slice(ID_PREFIX.length) };
  return { index: parseEmailIndex(trimmed) ?? 0 };
}

/** The operation, on sessions that take ids (version 2) or do not (the classic protocol and version 1). */
function viewEmailOperation(acceptsIds: boolean): MenuOperation<IndexSource, ReadResult> {
  return {
    choice: '3',
    label: 'Display the email contents',

    async client(channel, index) {
      await expectMessage(channel, REQUEST_EMAIL_INDEX);
      await channel.send(await index());
      const text = await channel.receive();
      if (text.startsWith(INVALID_INDEX_PREFIX)) return { kind: 'refused', text };
      let email: StoredEmail | undefined;
      try {
        email = parseStoredEmail(text);
      } catch (error) {
        if (!(error instanceof EmailError)) throw error;
      }
      return { kind: 'email', text, email };
    },

    async server(channel, hooks) {
      await channel.send(REQUEST_EMAIL_INDEX);
      const answer = await channel.receive();
      const ref = parseEmailRef(answer, acceptsIds);
      const found = await hooks.onRead(ref);
      const shown = answer.trim().slice(0, 'id' in ref ? 80 : 20);
      await channel.send(
        'text' in found
          ? found.text
          : 'id' in ref
            ? noSuchEmailText(shown)
            : invalidIndexText(shown, found.count),
      );
    },
  };
}

export const viewEmail = viewEmailOperation(false);
export const viewEmailById = viewEmailOperation(true);
