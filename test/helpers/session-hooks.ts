/**
 * The server's session hooks for one user of a home, over a given store, with the settings
 * the in-process session tests share: the session layer tested without sockets or processes.
 */
import { afterAll, beforeAll } from 'vitest';
import { loadServerHome, type ServerHome } from '../../mail-server/home.js';
import { createLogger } from '../../mail-server/log.js';
import { sessionHooks } from '../../mail-server/session.js';
import type { MailStore } from '../../mail-server/store/mail-store.js';
import type { SessionHooks } from '../../protocol/operations/types.js';
import { makeKeySetup, serverHome } from './keys.js';

/**
 * Registers the file's hooks: a key setup of `users` made before its tests, its server home
 * handed to `use`, and the setup removed after them.
 */
export function withSessionHome(
  use: (home: ServerHome) => void,
  users: readonly string[] = ['client1', 'client2', 'client3'],
): void {
  let keys: { dir: string; cleanup: () => void } | undefined;
  beforeAll(async () => {
    keys = await makeKeySetup(users);
    use(loadServerHome(serverHome(keys.dir)));
  });
  afterAll(() => {
    keys?.cleanup();
  });
}

export interface HookSettings {
  announce?: (line: string) => void;
  maxInboxBytes?: number;
  maxWaitMs?: number;
}

export function hooksFor(
  home: ServerHome,
  user: string,
  store: MailStore,
  settings: HookSettings = {},
): SessionHooks {
  const account = home.users.get(user);
  if (!account) throw new Error(`no account ${user}`);
  const context = {
    home,
    store,
    log: createLogger('fatal'),
    announce: settings.announce ?? (() => undefined),
    maxInboxBytes: settings.maxInboxBytes ?? 1024 * 1024,
    maxWaitMs: settings.maxWaitMs ?? 60_000,
  };
  return sessionHooks(context, account);
}
