/** The --store names: the seed's files under their own name, the old name still taken. */
import { describe, expect, it } from 'vitest';
import { parseStoreSpec } from '../../mail-server/store/open-store.js';

describe('--store', () => {
  it('names the default store files, and takes maildir (its name before) as the same', () => {
    expect(parseStoreSpec('files')).toBe('files');
    expect(parseStoreSpec('maildir')).toBe('files');
    expect(parseStoreSpec('postgres://mail@db:5432/mail')).toBe('postgres://mail@db:5432/mail');
    expect(() => parseStoreSpec('Maildir++')).toThrow(/expected "files" or a PostgreSQL URL/);
  });
});
