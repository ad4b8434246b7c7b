/**
 * H, viewing an email:
 *
 *   server -> client  "the server request email index"
 *   client -> server  the index, from 1, in the last listing
 *   server -> client  the stored email (section F), or "Invalid email index: ..." when there is none
 *
 * From session version 2 the client may answer "id:" and an email's id instead of an index,
 * so that an email is read as listed even when the listing has changed since.
 *
 * From session version 7 it may answer "ids:" and up to MAX_BATCH_IDS ids separated by single
 * spaces; the server then answers with one binary message instead of the email's text:
 *
 *   server -> client  email batch: type (1) | answered (u16)
 *                                  | answered x [ found (1): 1 or 0 | if found: text (u32 + UTF-8) ]
 *
 * the first `answered` ids in order (at least one), as many as fit in BATCH_BYTES of text: the
 * client asks again for the rest. A client reading a whole inbox (the gateway's search index)
 * then pays one exchange per batch instead of one per email.
 */
import { EmailError, parseStoredEmail, type StoredEmail } from '../email.js';
import { ProtocolError } from '../errors.js';
import {
  INVALID_INDEX_PREFIX,
  REQUEST_EMAIL_INDEX,
  invalidIndexText,
  noSuchEmailText,
} from '../texts.js';
import { MAX_FRAME_BYTES } from '../framing.js';
import { expectMessage } from './expect.js';
import { message, receiveMessage, sendMessage } from './typed-channel.js';
import type { EmailRef, MenuOperation, SessionHooks } from './types.js';
import type { MessageChannel } from '../channel.js';

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
const IDS_PREFIX = 'ids:';
/** Ids named in one answer at most (session version 7). */
export const MAX_BATCH_IDS = 100;
/** The longest id a batch may name; the stores' ids are far shorter. */
const MAX_BATCH_ID_CHARS = 256;
/** Text a batch answer holds before the server stops adding emails (at least one is sent). */
export const BATCH_BYTES = 1024 * 1024;

/** How a client names an email by id in its answer (session version 2). */
export const emailIdAnswer = (id: string): string => `${ID_PREFIX}${id}`;

/** Whether an id can be named in a batch: no space (the separator), none empty or overlong. */
export const batchable = (id: string): boolean =>
  id.length > 0 && id.length <= MAX_BATCH_ID_CHARS && !/\s/.test(id);

/** Throws when a client cannot name `ids` in one batch: check before choosing the operation. */
export function checkBatch(ids: readonly string[]): void {
  if (ids.length === 0 || ids.length > MAX_BATCH_IDS || !ids.every(batchable))
    throw new RangeError(`a batch names 1 to ${MAX_BATCH_IDS} ids without spaces`);
}

/** The ids of a batch answer, or a reason it is not one the server takes. */
function parseBatch(text: string): string[] | string {
  // Bounded before it is split: MAX_BATCH_IDS ids of the longest length and their spaces.
  if (text.length > MAX_BATCH_IDS * (MAX_BATCH_ID_CHARS + 1)) return 'too long';
  const ids = text.split(' ');
  if (ids.length > MAX_BATCH_IDS) return `${ids.length} ids, above ${MAX_BATCH_IDS}`;
  return ids.every(batchable) ? ids : 'an empty or malformed id';
}

/** The stored text of an email, parsed when it is in the stored format. */
function readResult(text: string): ReadResult {
  let email: StoredEmail | undefined;
  try {
    email = parseStoredEmail(text);
  } catch (error) {
    if (!(error instanceof EmailError)) throw error;
  }
  return { kind: 'email', text, email };
}

/** The server's side of a batch: the emails in the order named, as many as BATCH_BYTES hold. */
async function serveBatch(channel: MessageChannel, hooks: SessionHooks, ids: readonly string[]) {
  const writer = message('emailBatch');
  const found: (Buffer | undefined)[] = [];
  let bytes = 0;
  for (const id of ids) {
    if (found.length > 0 && bytes >= BATCH_BYTES) break;
    const read = await hooks.onRead({ id });
    const text = 'text' in read ? Buffer.from(read.text, 'utf8') : undefined;
    bytes += text?.length ?? 0;
    found.push(text);
  }
  writer.u16(found.length);
  for (const text of found) {
    if (text) writer.u8(1).longBytes(text);
    else writer.u8(0);
  }
  await sendMessage(channel, writer);
}

function parseEmailRef(answer: string, acceptsIds: boolean): EmailRef {
  const trimmed = answer.trim();
  if (acceptsIds && trimmed.startsWith(ID_PREFIX)) return { id: trimmed.slice(ID_PREFIX.length) };
  return { index: parseEmailIndex(trimmed) ?? 0 };
}

/**
 * The operation, on sessions that take ids (version 2) or do not (the classic protocol and
 * version 1), and batches of ids (version 7).
 */
function viewEmailOperation(
  acceptsIds: boolean,
  acceptsBatches = false,
): MenuOperation<IndexSource, ReadResult> {
  return {
    choice: '3',
    label: 'Display the email contents',

    async client(channel, index) {
      await expectMessage(channel, REQUEST_EMAIL_INDEX);
      await channel.send(await index());
      const text = await channel.receive();
      if (text.startsWith(INVALID_INDEX_PREFIX)) return { kind: 'refused', text };
      return readResult(text);
    },

    async server(channel, hooks) {
      await channel.send(REQUEST_EMAIL_INDEX);
      const answer = await channel.receive();
      if (acceptsBatches && answer.startsWith(IDS_PREFIX)) {
        const ids = parseBatch(answer.slice(IDS_PREFIX.length));
        if (typeof ids === 'string')
          throw new ProtocolError('UNEXPECTED_MESSAGE', `a batch of ids that is ${ids}`);
        await serveBatch(channel, hooks, ids);
        return;
      }
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
/** Version 7's view: as viewEmailById, and batches (readEmailBatch is its client side for them). */
export const viewEmailsByIds = viewEmailOperation(true, true);

/**
 * The client's side of a batch (session version 7): the emails of the first ids, in order, at
 * least one; the caller asks again for the rest. Every id must be `batchable`.
 */
export const readEmailBatch: MenuOperation<readonly string[], ReadResult[]> = {
  choice: viewEmailsByIds.choice,
  label: viewEmailsByIds.label,

  async client(channel, ids) {
    checkBatch(ids);
    await expectMessage(channel, REQUEST_EMAIL_INDEX);
    await channel.send(`${IDS_PREFIX}${ids.join(' ')}`);
    const reader = await receiveMessage(channel, 'emailBatch');
    const answered = reader.count('emails', 1);
    if (answered === 0 || answered > ids.length)
      throw reader.fail(`${answered} emails answer a batch of ${ids.length} ids`);
    const results: ReadResult[] = [];
    for (let i = 0; i < answered; i++) {
      const found = reader.u8('found');
      if (found === 0) {
        results.push({ kind: 'refused', text: noSuchEmailText(emailIdAnswer(ids[i] ?? '')) });
        continue;
      }
      if (found !== 1) throw reader.fail(`found is ${found}, not 0 or 1`);
      results.push(readResult(reader.longBytes('email', MAX_FRAME_BYTES).toString('utf8')));
    }
    reader.end();
    return results;
  },

  server: (channel, hooks) => viewEmailsByIds.server(channel, hooks),
};
