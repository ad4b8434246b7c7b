import { configDefaults, defineConfig } from 'vitest/config';
import { memoryTempFolder } from './test/setup/run-folders.js';

// The run's temporary files (key setups, inboxes of 10,000 files, the PostgreSQL cluster,
// Chromium's profiles) in memory when there is room: test/setup/run-folders.ts.
const memoryTemp = memoryTempFolder();
if (memoryTemp !== undefined) process.env.TMPDIR = memoryTemp;

/**
 * Unit tests: no process started, no socket opened; `npm run test:unit` runs them in the
 * edit-test loop. A new file here must keep to that; one that starts a server belongs to
 * test/system/ or test/gateway/ (or the exclusions below, for the few that grew up here).
 */
const UNIT = [
  'test/protocol/**/*.test.ts',
  'test/web/**/*.test.ts',
  'test/mail-server/**/*.test.ts',
  'test/gateway/sealed-keyring.test.ts',
  'test/gateway/server-list.test.ts',
];
/** Files in the unit folders that start a process, listen or need the PostgreSQL cluster. */
const SYSTEM_IN_UNIT_FOLDERS = [
  'test/mail-server/seed-files-index.test.ts',
  'test/mail-server/server-inline.test.ts',
  'test/mail-server/postgres-*.test.ts',
  'test/mail-server/pool.test.ts',
  'test/mail-server/store-password.test.ts',
];
/** Key setups made once per run and copied by each test (test/helpers/keys.ts). */
const KEY_TEMPLATES = 'test/setup/key-templates.ts';
/** Real Chromium against the real gateway and mail servers. */
const BROWSER = ['test/e2e/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Process-level tests start real servers; two cores do not gain from many workers.
    maxWorkers: 2,
    // A worker runs file after file in one module graph instead of a fresh process per file:
    // the files keep nothing between them but the helpers' caches (key setups and unlocked keys,
    // test/helpers/keys.ts), and each stops what it started. npm test 285 s -> 264 s on this
    // machine; checked in shuffled orders.
    isolate: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: UNIT,
          // No process of their own, and no module state they leave behind (fake timers are
          // put back after each): threads, not processes (npm run test:unit: 13.6 s -> 8.7 s,
          // CPU 25 s -> 16 s with isolate off; checked in shuffled orders).
          pool: 'threads',
          globalSetup: [KEY_TEMPLATES],
          exclude: [...configDefaults.exclude, ...SYSTEM_IN_UNIT_FOLDERS],
        },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: [
            'test/system/**/*.test.ts',
            'test/gateway/**/*.test.ts',
            'test/common/**/*.test.ts',
            ...SYSTEM_IN_UNIT_FOLDERS,
          ],
          exclude: [
            ...configDefaults.exclude,
            ...UNIT.filter((glob) => glob.startsWith('test/gateway/')),
          ],
          // A throwaway PostgreSQL cluster for the run (skipped where PostgreSQL is not installed).
          globalSetup: ['test/setup/postgres.ts', KEY_TEMPLATES],
        },
      },
      {
        extends: true,
        test: { name: 'browser', include: BROWSER, globalSetup: [KEY_TEMPLATES] },
      },
    ],
  },
});
