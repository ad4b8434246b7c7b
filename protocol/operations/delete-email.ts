/**
 * Deleting an email (session version 2), by the id the listing gave it, never by an index
 * that a delivery or another deletion could have shifted:
 *
 *   client -> server  delete request: type (1) | id (u16 + UTF-8)
 *   server -> client  delete result:  type (1) | deleted (1): 1 deleted, 0 no such email
 */
import { message, receiveMessage, sendMessage } from './typed-channel.js';
import type { MenuOperation } from './types.js';

const MAX_ID_BYTES = 256;

export const deleteEmail: MenuOperation<string, { deleted: boolean }> = {
  choice: '5',
  label: 'Delete an email',

  async client(channel, id) {
    await sendMessage(channel, message('deleteRequest').text(id));
    const reader = await receiveMessage(channel, 'deleteResult');
    const deleted = reader.u8('deleted') === 1;
    reader.end();
    return { deleted };
  },

  async server(channel, hooks) {
    const reader = await receiveMessage(channel, 'deleteRequest');
    const id = reader.text('id', MAX_ID_BYTES);
    reader.end();
    const deleted = await hooks.onDelete(id);
    await sendMessage(channel, message('deleteResult').u8(deleted ? 1 : 0));
  },
};
