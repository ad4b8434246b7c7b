/**
 * G, viewing the inbox:
 *
 *   server -> client  the listing (protocol/inbox.ts), or "Your inbox is empty."
 *   client -> server  "OK"
 *
 * From session version 2 the listing is a typed message with each email's id:
 *
 *   type (1) | count (u32) | count x [ index (u32) | id | from | receivedAt | title ]
 *   (the four texts: u16 length + UTF-8)
 */
import { lineageOf, sharedPrefix } from '../../common/shared-prefix.js';
import {
  formatInboxListing,
  formatListingFrom,
  parseInboxListing,
  type FormattedListing,
  type InboxRow,
} from '../inbox.js';
import { MAX_TITLE_CHARS, MAX_USERNAME_CHARS } from '../limits.js';
import { FieldWriter, type FieldReader } from '../binary.js';
import { OK } from '../texts.js';
import { message, receiveMessage, sendMessage } from './typed-channel.js';
import type { MenuOperation } from './types.js';

export interface InboxListing {
  /** The listing as the classic protocol shows it (made when first asked for). */
  readonly text: string;
  readonly rows: InboxRow[];
  /**
   * From session version 4: what changed since the session's last listing; `first` when there
   * was none (every email is added).
   */
  readonly changes?: { first: boolean; removed: number; added: InboxRow[] };
}

/** A listing of typed rows, its text laid out as the classic one only if someone reads it. */
export function listingOf(rows: InboxRow[], changes?: InboxListing['changes']): InboxListing {
  let text: string | undefined;
  return {
    rows,
    changes,
    get text() {
      text ??= formatInboxListing(rows);
      return text;
    },
  };
}

/**
 * The server's last classic listing of each array of rows (by its lineage, common/shared-prefix.ts:
 * sessions of one process that list one inbox share its rows, so a session's first listing
 * starts from another's), or of each session (by its channel) when the rows have none.
 */
const lastFormatted = new WeakMap<object, FormattedListing>();

export const listInbox: MenuOperation<void, InboxListing> = {
  choice: '2',
  label: 'Display the inbox list',

  async client(channel) {
    const text = await channel.receive();
    await channel.send(OK);
    return { text, rows: parseInboxListing(text) };
  },

  async server(channel, hooks) {
    const rows = await hooks.onList();
    const key = lineageOf(rows) ?? channel;
    const listing = formatListingFrom(lastFormatted.get(key), rows);
    lastFormatted.set(key, listing);
    // Sent as the bytes it was kept in: the text is not encoded again at each listing.
    await (channel.sendUtf8 ? channel.sendUtf8(listing.bytes) : channel.send(listing.text));
    const reply = await channel.receive();
    if (reply !== OK) hooks.onOddReply?.(OK, reply);
  },
};

/** Index and four text lengths, at the least. */
export const MIN_ROW_BYTES = 4 + 4 * 2;
export const MAX_ID_BYTES = 256;
// Generous bounds: a stored file written by another program may carry longer fields.
const MAX_FROM_BYTES = MAX_USERNAME_CHARS * 4 * 4;
const MAX_TIME_BYTES = 64;
const MAX_TITLE_BYTES = MAX_TITLE_CHARS * 4 * 16;

/** One typed row: index (u32) | id | from | receivedAt | title. */
export function writeRow(writer: FieldWriter, row: InboxRow): void {
  writer
    .u32(row.index)
    .text(row.id ?? '')
    .text(row.from)
    .text(row.receivedAt)
    .text(row.title);
}

export function readRow(reader: FieldReader): InboxRow {
  const index = reader.u32('index');
  const id = reader.text('id', MAX_ID_BYTES);
  const from = reader.text('from', MAX_FROM_BYTES);
  const receivedAt = reader.text('receivedAt', MAX_TIME_BYTES);
  return { index, id, from, receivedAt, title: reader.text('title', MAX_TITLE_BYTES) };
}

/** A listing's typed rows, encoded, kept so that the next listing of the same inbox starts from them. */
export interface EncodedRows {
  readonly rows: readonly InboxRow[];
  readonly bytes: Buffer;
  /** Where each row ends in `bytes`. */
  readonly rowEnds: readonly number[];
}

/**
 * `rows` encoded (writeRow, one after another), from `previous`: the rows it shares with it
 * (common/shared-prefix.ts) are its bytes as they were; only the rows from the first change on
 * are encoded.
 */
export function encodeRowsFrom(
  previous: EncodedRows | undefined,
  rows: readonly InboxRow[],
): EncodedRows {
  if (previous?.rows === rows) return previous;
  const kept = previous ? sharedPrefix(previous.rows, rows) : 0;
  const rowEnds = previous ? previous.rowEnds.slice(0, kept) : [];
  const start = rowEnds.at(-1) ?? 0;
  const writer = new FieldWriter();
  for (let i = kept; i < rows.length; i++) {
    writeRow(writer, rows[i] as InboxRow);
    rowEnds.push(start + writer.length);
  }
  const added = writer.done();
  const bytes =
    previous && kept > 0 ? Buffer.concat([previous.bytes.subarray(0, start), added]) : added;
  return { rows, bytes, rowEnds };
}

/** The last typed rows sent, as lastFormatted keeps the classic listings. */
const lastEncoded = new WeakMap<object, EncodedRows>();

/** Session version 2: the listing with ids. The text is laid out as the classic one. */
export const listInboxWithIds: MenuOperation<void, InboxListing> = {
  ...listInbox,

  async client(channel) {
    const reader = await receiveMessage(channel, 'inboxListing');
    const rows: InboxRow[] = [];
    const count = reader.count('emails', MIN_ROW_BYTES, 'u32');
    for (let i = 0; i < count; i++) rows.push(readRow(reader));
    reader.end();
    await channel.send(OK);
    return listingOf(rows);
  },

  async server(channel, hooks) {
    const rows = await hooks.onList();
    const key = lineageOf(rows) ?? channel;
    const encoded = encodeRowsFrom(lastEncoded.get(key), rows);
    lastEncoded.set(key, encoded);
    await sendMessage(channel, message('inboxListing').u32(rows.length).raw(encoded.bytes));
    const reply = await channel.receive();
    if (reply !== OK) hooks.onOddReply?.(OK, reply);
  },
};
