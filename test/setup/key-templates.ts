/**
 * Once per test run: a folder where test/helpers/keys.ts keeps the key setups it makes (key
 * pairs, the private keys sealed with scrypt, the password file), so that each users list costs
 * its key generation once per run rather than once per test file. Folders of earlier runs whose
 * process is gone are removed here.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { removeEndedRunFolders } from './run-folders.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run's key setups are kept (one per users list, copied by each test). */
    keyTemplates: string;
  }
}

const PREFIX = 'sealed-mail-key-templates-';

export default function setup(project: TestProject): void {
  removeEndedRunFolders(tmpdir(), PREFIX);
  // One folder for every project of this run: they share the main process.
  const dir = join(tmpdir(), `${PREFIX}${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  project.provide('keyTemplates', dir);
}
