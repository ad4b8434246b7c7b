/**
 * Listing what changed in the inbox (session version 4), as IMAP's QRESYNC: the server sends
 * only the emails added and removed since the listing it sent last by this operation in this
 * session, so an inbox of 100,000 emails costs a refresh its changes, not 100,000 rows.
 *
 *   client -> server  changes request: type (1) | since (1): 0 nothing, 1 the last listing
 *   server -> client  inbox changes:   type (1) | since (1) | total (u32)
 *                                      | removed (u32) x [ id ]
 *                                      | added (u32) x [ index (u32) | id | from | receivedAt | title ]
 *   client -> server  "OK"
 *
 * Both ends keep the last listing of the session. "since" 0 asks for everything (all rows come
 * as added); the server answers 0 as well when it has sent no listing yet. The client takes
 * out the removed ids, puts each added row at its index of the new listing (ascending, at most
 * `total`), keeps the rest in their order, and checks that `total` rows result: the inbox
 * order never changes between two emails that stay, so nothing else needs saying.
 */
import { sharedPrefix } from '../../common/shared-prefix.js';
import type { FieldWriter } from '../binary.js';
import type { MessageChannel } from '../channel.js';
import type { InboxRow } from '../inbox.js';
import { OK } from '../texts.js';
import {
  MAX_ID_BYTES,
  MIN_ROW_BYTES,
  listingOf,
  readRow,
  writeRow,
  type InboxListing,
} from './list-inbox.js';
import { message, receiveMessage, sendMessage } from './typed-channel.js';
import type { MenuOperation } from './types.js';

export const ChangesSince = { nothing: 0, lastListing: 1 } as const;

export interface InboxChanges {
  /** How many emails the new listing has. */
  total: number;
  /** Ids of listed emails that are gone. */
  removed: string[];
  /** Emails not listed before, each with its index in the new listing, ascending. */
  added: InboxRow[];
}

const idOf = (row: InboxRow): string => row.id ?? '';

/** What turns `before` into `after` (both in inbox order). Linear; the common case, mail appended, stops at a scan of the ids. */
export function inboxChanges(
  before: readonly InboxRow[],
  after: readonly InboxRow[],
): InboxChanges {
  if (before === after) return { total: after.length, removed: [], added: [] };
  // The rows a session kept (the same objects) are found without a scan; then by id.
  let same = sharedPrefix(before, after);
  const shorter = Math.min(before.length, after.length);
  while (same < shorter && idOf(before[same] as InboxRow) === idOf(after[same] as InboxRow)) same++;
  const oldTail = before.slice(same);
  const newTail = after.slice(same);
  if (oldTail.length === 0) return { total: after.length, removed: [], added: newTail };
  const stay = new Set(newTail.map(idOf));
  const known = new Set(oldTail.map(idOf));
  return {
    total: after.length,
    removed: oldTail.filter((row) => !stay.has(idOf(row))).map(idOf),
    added: newTail.filter((row) => !known.has(idOf(row))),
  };
}

/** The new listing from the last one and its changes; throws `fail`'s error when they do not fit together. */
export function applyInboxChanges(
  before: readonly InboxRow[],
  changes: InboxChanges,
  fail: (problem: string) => Error,
): InboxRow[] {
  const { total, removed, added } = changes;
  const gone = new Set(removed);
  if (gone.size !== removed.length) throw fail('an id is removed twice');
  const kept = gone.size === 0 ? before : before.filter((row) => !gone.has(idOf(row)));
  if (kept.length !== before.length - gone.size) throw fail('it removes an email not listed');
  if (kept.length + added.length !== total)
    throw fail(`${kept.length} kept and ${added.length} added emails are not ${total}`);
  const addedIds = new Set(added.map(idOf));
  if (addedIds.size !== added.length || kept.some((row) => addedIds.has(idOf(row))))
    throw fail('an added email is listed twice');
  let previous = 0;
  for (const row of added) {
    if (row.index <= previous || row.index > total)
      throw fail(`an added email's index ${row.index} is out of order or beyond ${total}`);
    previous = row.index;
  }
  // Mail appended, the common case: the kept rows keep their indexes and objects.
  if (added.every((row, i) => row.index === kept.length + i + 1) && kept === before)
    return before.concat(added);
  const rows: InboxRow[] = new Array<InboxRow>(total);
  let fromKept = 0;
  let fromAdded = 0;
  for (let index = 1; index <= total; index++) {
    const next = added[fromAdded];
    if (next?.index === index) {
      rows[index - 1] = next;
      fromAdded++;
    } else {
      const row = kept[fromKept++] as InboxRow;
      rows[index - 1] = row.index === index ? row : { ...row, index };
    }
  }
  return rows;
}

/** The inbox changes message (0x3d). */
export function changesMessage(since: number, changes: InboxChanges): FieldWriter {
  const writer = message('inboxChanges').u8(since).u32(changes.total).u32(changes.removed.length);
  for (const id of changes.removed) writer.text(id);
  writer.u32(changes.added.length);
  for (const row of changes.added) writeRow(writer, row);
  return writer;
}

/** Each end's last listing of a session, by its channel (gone with it). */
const lastSent = new WeakMap<MessageChannel, readonly InboxRow[]>();
const lastReceived = new WeakMap<MessageChannel, InboxRow[]>();

export const listChanges: MenuOperation<void, InboxListing> = {
  choice: '9',
  label: 'Display what changed in the inbox',

  async client(channel) {
    const before = lastReceived.get(channel);
    await sendMessage(
      channel,
      message('changesRequest').u8(before ? ChangesSince.lastListing : ChangesSince.nothing),
    );
    const reader = await receiveMessage(channel, 'inboxChanges');
    const since = reader.u8('since');
    if (since !== ChangesSince.nothing && (since !== ChangesSince.lastListing || !before))
      throw reader.fail(`changes since ${since}, which was not asked for`);
    const total = reader.u32('total');
    const removed: string[] = [];
    const removedCount = reader.count('removed ids', 2, 'u32');
    for (let i = 0; i < removedCount; i++) removed.push(reader.text('id', MAX_ID_BYTES));
    const added: InboxRow[] = [];
    const addedCount = reader.count('added emails', MIN_ROW_BYTES, 'u32');
    for (let i = 0; i < addedCount; i++) added.push(readRow(reader));
    reader.end();
    const base = since === ChangesSince.lastListing ? (before ?? []) : [];
    const rows = applyInboxChanges(base, { total, removed, added }, (problem) =>
      reader.fail(`the changes do not fit the last listing: ${problem}`),
    );
    lastReceived.set(channel, rows);
    await channel.send(OK);
    return listingOf(rows, {
      first: since === ChangesSince.nothing,
      removed: removed.length,
      added,
    });
  },

  async server(channel, hooks) {
    const reader = await receiveMessage(channel, 'changesRequest');
    const asked = reader.u8('since');
    reader.end();
    if (asked !== ChangesSince.nothing && asked !== ChangesSince.lastListing)
      throw reader.fail(`changes since ${asked}: only 0 (nothing) and 1 (the last listing) exist`);
    const before = asked === ChangesSince.lastListing ? lastSent.get(channel) : undefined;
    const rows = await hooks.onList();
    const changes = inboxChanges(before ?? [], rows);
    const since = before ? ChangesSince.lastListing : ChangesSince.nothing;
    await sendMessage(channel, changesMessage(since, changes));
    lastSent.set(channel, rows);
    const reply = await channel.receive();
    if (reply !== OK) hooks.onOddReply?.(OK, reply);
  },
};
