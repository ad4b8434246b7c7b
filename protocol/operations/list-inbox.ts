/**
 * G, viewing the inbox:
 *
 *   server -> client  the listing (protocol/inbox.ts), or "Your inbox is empty."
 *   client -> server  "OK"
 */
import { formatInboxListing, parseInboxListing, type InboxRow } from '../inbox.js';
import { OK } from '../texts.js';
import type { MenuOperation } from './types.js';

export interface InboxListing {
  text: string;
  rows: InboxRow[];
}

export const listInbox: MenuOperation<void, InboxListing> = {
  choice: '2',
  label: 'Display the inbox list',

  async client(channel) {
    const text = await channel.receive();
    await channel.send(OK);
    return { text, rows: parseInboxListing(text) };
  },

  async server(channel, hooks) {
    await channel.send(formatInboxListing(await hooks.onList()));
    const reply = await channel.receive();
    if (reply !== OK) hooks.onOddReply?.(OK, reply);
  },
};
