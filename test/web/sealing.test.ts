/**
 * The composer's sealing estimate (web/src/lib/sealing.ts) against really sealed emails: the
 * armour sealEmail gives (protocol/sealed/) is never longer than sealedArmourChars says, so a
 * draft the composer calls sealable always fits the classic protocol's content limit; and a
 * draft too long to be sealed there is said to go plain, and why, before the send.
 */
import { type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecipientSealing } from '../../gateway/key-messages.js';
import { MAX_CONTENT_CHARS } from '../../protocol/email.js';
import { armour } from '../../protocol/sealed/armour.js';
import { sealEmail } from '../../protocol/sealed/seal.js';
import { sealedArmourChars, sealingSummary, sealingVerdict } from '../../web/src/lib/sealing.js';
import { testRsaKeyPair } from '../helpers/rsa-keys.js';

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** This project's keys (RSA-2048) and the largest the format takes (RSA-4096: 512-byte blocks). */
const pairs = new Map<number, { privateKey: KeyObject; publicKey: KeyObject }>();

beforeAll(() => {
  for (const bits of [2048, 4096]) pairs.set(bits, testRsaKeyPair('sealing', bits));
});

function pair(bits: number): { privateKey: KeyObject; publicKey: KeyObject } {
  const found = pairs.get(bits);
  if (!found) throw new Error(`no ${bits}-bit key`);
  return found;
}

/** The armour the gateway would send as the content: sealed for `recipients` and the sender. */
function realArmourChars(
  draft: { title: string; content: string },
  sender: string,
  recipients: string[],
  bits: number,
): number {
  const { privateKey, publicKey } = pair(bits);
  return armour(
    sealEmail({
      sender,
      senderPrivateKey: privateKey,
      title: draft.title,
      content: draft.content,
      recipients,
      readers: recipients.map((name) => ({ name, publicKey })),
    }),
  ).length;
}

/** What sealingVerdict passes: the UTF-8 bytes and the keys of the recipients and the sender. */
const estimate = (draft: { title: string; content: string }, recipients: number): number =>
  sealedArmourChars(utf8Bytes(draft.content), utf8Bytes(draft.title), recipients + 1);

/** A name of `length` characters, the longest a username may have being 64. */
const longName = (i: number, length = 64): string => `u${i}`.padEnd(length, 'x');

describe('sealedArmourChars, the composer’s estimate of a sealed email’s length', () => {
  const drafts = [
    { title: '', content: '' },
    { title: 'Lunch', content: 'At noon.' },
    { title: 'Quarterly figures 😀', content: 'Revenue up 12 % 😀, keep it quiet.\n'.repeat(40) },
    // Two, three and four bytes of UTF-8 a code point: counted in bytes, not characters.
    { title: 'Grüße', content: 'é'.repeat(5_000) },
    { title: '会议', content: '会议在星期四。'.repeat(3_000) },
    { title: '🔒', content: '😀'.repeat(20_000) },
    { title: '😀'.repeat(100), content: 'a'.repeat(100_000) },
  ];

  it.each([2048, 4096])(
    'is never shorter than the real armour, with %i-bit keys, for short and long names',
    (bits) => {
      for (const draft of drafts)
        for (const recipients of [
          ['client2'],
          ['client2', 'client3', 'client4'],
          // Every name at its longest: its field in the recipients and in each wrapped key.
          Array.from({ length: 8 }, (_, i) => longName(i)),
        ]) {
          const sender = recipients[0]?.length === 64 ? longName(99) : 'client1';
          const real = realArmourChars(draft, sender, recipients, bits);
          expect(
            estimate(draft, recipients.length),
            `${bits}-bit keys, ${recipients.length} recipients, ${utf8Bytes(draft.content)} bytes`,
          ).toBeGreaterThanOrEqual(real);
        }
    },
  );

  it('counts multi-byte characters by their UTF-8 bytes: an emoji costs four times a letter', () => {
    const ascii = estimate({ title: '', content: 'a'.repeat(30_000) }, 1);
    const emoji = estimate({ title: '', content: '😀'.repeat(30_000) }, 1);
    // 90,000 more bytes: 120,000 more base64 characters, and a newline every 64.
    expect(emoji - ascii).toBeGreaterThanOrEqual(120_000);
    expect(emoji).toBeGreaterThanOrEqual(
      realArmourChars({ title: '', content: '😀'.repeat(30_000) }, 'client1', ['client2'], 4096),
    );
  });

  it('the longest content said to fit really fits, sealed, within the classic protocol’s limit', () => {
    const recipients = Array.from({ length: 5 }, (_, i) => longName(i));
    const plan: RecipientSealing[] = recipients.map((name) => ({ name, state: 'keyring' }));
    const title = 'Ü'.repeat(100);
    const fits = (content: string): boolean =>
      !sealingVerdict(plan, { title, content }, { serverKeys: false }).tooLong;
    // The largest ASCII length the composer calls sealable (found by bisection).
    let low = 0;
    let high = MAX_CONTENT_CHARS;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (fits('a'.repeat(middle))) low = middle;
      else high = middle - 1;
    }
    expect(low).toBeGreaterThan(600_000);
    const real = realArmourChars(
      { title, content: 'a'.repeat(low) },
      longName(99),
      recipients,
      4096,
    );
    expect(real).toBeLessThanOrEqual(MAX_CONTENT_CHARS);
  });
});

describe('the composer’s sealing line', () => {
  it('names each reader with where their key came from, and you last, as a sentence', () => {
    const verdict = sealingVerdict(
      [
        { name: 'client2', state: 'keyring' },
        { name: 'client3', state: 'server' },
        { name: 'client1', state: 'own' },
      ],
      { title: 'Lunch', content: 'At noon.' },
      { serverKeys: true },
    );
    expect(sealingSummary(verdict)).toBe(
      'Sealed: only client2 (key in your keyring), client3 (key from the server, not compared) and you can read it.',
    );
  });
});

describe('an email too long to be sealed on the classic protocol', () => {
  const plan: RecipientSealing[] = [{ name: 'client2', state: 'keyring' }];
  // 800,000 ASCII characters fit the protocol's 1,000,000, but not sealed (4/3 of it as base64).
  const draft = { title: 'Report', content: 'a'.repeat(800_000) };

  it('is the real case: its armour would pass the content limit', () => {
    expect(realArmourChars(draft, 'client1', ['client2'], 2048)).toBeGreaterThan(MAX_CONTENT_CHARS);
  });

  it('is said before the send to go plain, because of its length', () => {
    const verdict = sealingVerdict(plan, draft, { serverKeys: false });
    expect(verdict).toMatchObject({ willSeal: false, tooLong: true, notSealable: [] });
    expect(sealingSummary(verdict)).toBe(
      'Not sealed: it is too long to be sealed on this protocol. It will go as plain text, which the server can read.',
    );
  });

  it('gives both reasons when a recipient has no key as well', () => {
    const verdict = sealingVerdict([...plan, { name: 'client9', state: 'noKey' }], draft, {
      serverKeys: false,
    });
    expect(sealingSummary(verdict)).toBe(
      'Not sealed: client9 has no key of theirs on this computer; it is too long to be sealed on this protocol. It will go as plain text, which the server can read.',
    );
  });

  it('counts multi-byte content by bytes: 250,000 emoji are too long, 250,000 letters are not', () => {
    const emoji = { title: 'Report', content: '😀'.repeat(250_000) };
    const letters = { title: 'Report', content: 'a'.repeat(250_000) };
    expect(sealingVerdict(plan, emoji, { serverKeys: false }).tooLong).toBe(true);
    expect(sealingVerdict(plan, letters, { serverKeys: false })).toMatchObject({
      tooLong: false,
      willSeal: true,
    });
    expect(realArmourChars(emoji, 'client1', ['client2'], 2048)).toBeGreaterThan(MAX_CONTENT_CHARS);
  });

  it('is sealed on the enhanced protocol, whose session carries the sealed email itself', () => {
    const verdict = sealingVerdict(plan, draft, { serverKeys: true });
    expect(verdict).toMatchObject({ willSeal: true, tooLong: false });
    expect(sealingSummary(verdict)).toBe(
      'Sealed: only client2 (key in your keyring) and you can read it.',
    );
  });
});
