/**
 * The content search's index (gateway/web-bridge/search-index.ts) and its file: words folded
 * (case, accents, compatibility forms), prefixes, every word of a query required, removal,
 * bounds, and the file sealed at rest (no word of the content, sender or title readable in it).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSeal } from '../../gateway/protocol-client/local-seal.js';
import { SecurityMemory } from '../../gateway/web-bridge/email-security.js';
import { SearchIndex } from '../../gateway/web-bridge/search-index.js';
import { SearchIndexFile } from '../../gateway/web-bridge/search-index-file.js';
import { fold, wordsOf } from '../../gateway/web-bridge/search-words.js';
import { testRsaKeyPair } from '../helpers/rsa-keys.js';

const email = (key: string, mark?: { kind: 'plain' }) => ({
  key,
  from: 'client2',
  receivedAt: '2026-12-07 09:00:00.000001',
  title: 'Numbers',
  ...(mark ? { mark } : {}),
});
const text = (content: string, title = 'Numbers') => ({
  from: 'client2',
  to: ['client1'],
  title,
  content,
});

describe('search words', () => {
  it('folds case, accents and compatibility forms', () => {
    expect(fold('QUARTERLY Café Ｆｉｌｅ ﬁle')).toBe('quarterly cafe file file');
    expect(wordsOf('Résumé, RESUME; résumé! a b2 x', 100)).toEqual(['resume', 'b2']);
  });

  it('keeps the first distinct words up to the limit', () => {
    expect(wordsOf('one two three two four', 3)).toEqual(['one', 'two', 'three']);
  });
});

describe('search index', () => {
  it('finds a word by any of its starts, folded, and only emails holding every word', () => {
    const index = new SearchIndex();
    index.add(email('id:1'), text('The Quarterly report is late.'));
    index.add(email('id:2'), text('A café at noon?', 'Lunch'));
    index.add(email('id:3'), text('quarterly numbers and the CAFÉ budget'));
    expect(index.search('quarterly')).toEqual(new Set(['id:1', 'id:3']));
    expect(index.search('QUART')).toEqual(new Set(['id:1', 'id:3']));
    expect(index.search('cafe')).toEqual(new Set(['id:2', 'id:3']));
    expect(index.search('Café quarter')).toEqual(new Set(['id:3']));
    expect(index.search('lunch')).toEqual(new Set(['id:2']));
    // The sender and recipients are words too.
    expect(index.search('client1').size).toBe(3);
    expect(index.search('arterly')).toEqual(new Set());
    expect(index.search('quarterly missing')).toEqual(new Set());
    expect(index.search('   ')).toEqual(new Set());
  });

  it('forgets a removed email, and an email indexed again replaces its words', () => {
    const index = new SearchIndex();
    index.add(email('id:1'), text('quarterly'));
    index.add(email('id:2'), text('quarterly'));
    expect(index.remove('id:1')).toBe(true);
    expect(index.search('quarterly')).toEqual(new Set(['id:2']));
    index.add(email('id:2'), text('annual'));
    expect(index.search('quarterly')).toEqual(new Set());
    expect(index.search('annual')).toEqual(new Set(['id:2']));
    // client2, client1, numbers, annual: the removed email's postings are gone.
    expect(index.postings).toBe(4);
  });

  it('knows an entry only under the sender, time and title it was indexed under', () => {
    const index = new SearchIndex();
    index.add(email('id:1', { kind: 'plain' }), text('x'));
    expect(index.find(email('id:1'))?.mark).toEqual({ kind: 'plain' });
    expect(index.find({ ...email('id:1'), title: 'Changed by the server' })).toBeUndefined();
  });

  it('holds to its bounds: emails (the oldest go), postings and vocabulary', () => {
    const few = new SearchIndex({ emails: 3 });
    for (let n = 1; n <= 5; n++) few.add(email(`id:${n}`), text(`word${n}`));
    expect(few.size).toBe(3);
    expect(few.search('word')).toEqual(new Set(['id:3', 'id:4', 'id:5']));

    const small = new SearchIndex({ postings: 10, vocabulary: 6 });
    small.add(email('id:1'), text('alpha beta gamma delta epsilon zeta eta theta'));
    small.add(email('id:2'), text('alpha beta'));
    expect(small.postings).toBeLessThanOrEqual(10);
    expect(small.vocabulary).toBeLessThanOrEqual(6);
    // The sender, recipients and title come first, so they are kept.
    expect(small.search('numbers')).toEqual(new Set(['id:1', 'id:2']));
  });

  it('answers a search over 10,000 emails quickly', () => {
    const index = new SearchIndex();
    const vocabulary = Array.from({ length: 5000 }, (_, n) => `word${n.toString(36)}`);
    for (let n = 0; n < 10_000; n++) {
      const words = Array.from({ length: 80 }, (_, k) => vocabulary[(n * 31 + k * 17) % 5000]);
      index.add(email(`id:${n}`), text(`${words.join(' ')}${n === 4242 ? ' quarterly' : ''}`));
    }
    index.search('warm'); // the sorted words, built once
    const started = performance.now();
    const found = index.search('quarterly');
    const many = index.search('word1');
    const took = performance.now() - started;
    expect(found).toEqual(new Set(['id:4242']));
    expect(many.size).toBeGreaterThan(1000);
    expect(took).toBeLessThan(300);
  });
});

describe('search index file', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  function setup(): { data: string; seal: LocalSeal } {
    const data = mkdtempSync(join(tmpdir(), 'search-index-'));
    folders.push(data);
    const { privateKey } = testRsaKeyPair('client1');
    return { data, seal: new LocalSeal(privateKey, 'client1') };
  }

  it('is sealed at rest: no word of an email can be read in it, and it loads back whole', () => {
    const { data, seal } = setup();
    const index = new SearchIndex();
    index.add(
      {
        ...email('id:7'),
        mark: { kind: 'sealed', signer: 'client2', fingerprint: 'SHA256:x', keySource: 'keyring' },
      },
      text('The quarterly figures are in.'),
    );
    const file = new SearchIndexFile(data, 'client1', '127.0.0.1:13001', seal);
    file.save(index);
    const [name] = readdirSync(join(data, 'client1'));
    const bytes = readFileSync(join(data, 'client1', name ?? ''));
    for (const word of ['quarterly', 'figures', 'client2', 'Numbers', 'sealed', 'id:7'])
      expect(bytes.includes(Buffer.from(word))).toBe(false);
    const loaded = file.load();
    expect(loaded.search('quarter')).toEqual(new Set(['id:7']));
    expect(loaded.find(email('id:7'))?.mark).toEqual({
      kind: 'sealed',
      signer: 'client2',
      fingerprint: 'SHA256:x',
      keySource: 'keyring',
    });
    // Another user's key, or an altered file, opens nothing: an empty index.
    const { privateKey } = testRsaKeyPair('another user');
    expect(
      new SearchIndexFile(
        data,
        'client1',
        '127.0.0.1:13001',
        new LocalSeal(privateKey, 'client1'),
      ).load().size,
    ).toBe(0);
    const altered = Buffer.from(bytes);
    altered[altered.length - 1] = (altered.at(-1) ?? 0) ^ 1;
    writeFileSync(join(data, 'client1', name ?? ''), altered);
    expect(file.load().size).toBe(0);
  });

  it('keeps one file per server', () => {
    const { data, seal } = setup();
    const index = new SearchIndex();
    index.add(email('id:1'), text('quarterly'));
    new SearchIndexFile(data, 'client1', '127.0.0.1:13001', seal).save(index);
    expect(new SearchIndexFile(data, 'client1', '127.0.0.1:13000', seal).load().size).toBe(0);
  });
});

describe('the marks of opened emails', () => {
  it('gives a row the mark only under the sender, time and title it was opened under', () => {
    const memory = new SecurityMemory();
    const row = {
      index: 1,
      id: 'a1',
      from: 'client2',
      receivedAt: '2026-12-07 09:00:00.000001',
      title: 'Numbers',
    };
    memory.remember(row, {
      kind: 'sealed',
      signer: 'client2',
      fingerprint: 'SHA256:x',
      keySource: 'keyring',
    });
    expect(memory.of(row).kind).toBe('sealed');
    // The server lists the same id with another title or sender: not the email opened.
    expect(memory.of({ ...row, title: 'Numbers (final)' })).toEqual({ kind: 'unopened' });
    expect(memory.of({ ...row, from: 'client3' })).toEqual({ kind: 'unopened' });
    memory.forget('id:a1');
    expect(memory.of(row)).toEqual({ kind: 'unopened' });
  });
});
