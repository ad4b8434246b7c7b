/**
 * I, ending the connection: the client sends the choice and both ends close. The server takes
 * any choice it does not know the same way (E.6.d).
 */
import type { MenuOperation } from './types.js';

export const terminate: MenuOperation<void, void> = {
  choice: '4',
  label: 'Terminate the connection',

  async client(channel) {
    await channel.close();
  },

  async server(channel, hooks) {
    hooks.onTerminate();
    await channel.close();
  },
};
