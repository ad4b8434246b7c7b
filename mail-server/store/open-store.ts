/** Opens the mail store a server is configured with. */
import type { ServerHome } from '../home.js';
import type { MailStore } from './mail-store.js';
import { MaildirStore } from './maildir-store.js';
import { MemoryStore } from './memory-store.js';

/** `maildir`: the seed's folders in the home (the default); `memory`: nothing kept (tests). */
export type StoreSpec = 'maildir' | 'memory';

export function openMailStore(spec: StoreSpec, home: ServerHome): MailStore {
  const users = home.users.keys();
  return spec === 'memory' ? new MemoryStore(users) : new MaildirStore(home.dir, users);
}
