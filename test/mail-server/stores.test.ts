/** The mail store contract against each store that needs nothing but this process. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeedFilesStore } from '../../mail-server/store/seed-files-store.js';
import { MemoryStore } from '../../mail-server/store/memory-store.js';
import { CONTRACT_USERS, storeContract } from './store-contract.js';

storeContract('seed files', () => {
  const home = mkdtempSync(join(tmpdir(), 'sealed-mail-files-'));
  return Promise.resolve({
    store: new SeedFilesStore(home, CONTRACT_USERS),
    cleanup: () => {
      rmSync(home, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

storeContract('memory', () =>
  Promise.resolve({ store: new MemoryStore(CONTRACT_USERS), cleanup: () => Promise.resolve() }),
);
