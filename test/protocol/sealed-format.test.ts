/**
 * The sealed-email format on its own (protocol/sealed/): round trips, the bounds the decoder
 * keeps before it allocates, and every way a stored sealed email can be altered, re-addressed
 * or forged, each found out by the reader.
 */
import { createCipheriv, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { FieldWriter } from '../../protocol/binary.js';
import { formatStoredEmail, parseStoredEmail, type StoredEmail } from '../../protocol/email.js';
import { keyDigest } from '../../protocol/enhanced/fingerprint.js';
import { isProtocolError } from '../../protocol/errors.js';
import { armour, unarmour } from '../../protocol/sealed/armour.js';
import {
  decodeSealedEmail,
  encodeHeader,
  encodeSealedEmail,
  encodeSignedPart,
  type SealedEmail,
} from '../../protocol/sealed/format.js';
import {
  alteredEnvelopeLines,
  openSealedEmail,
  type OpenOutcome,
} from '../../protocol/sealed/open.js';
import { commitmentTo, signSealed, wrapContentKey } from '../../protocol/sealed/primitives.js';
import { sealEmail } from '../../protocol/sealed/seal.js';
import {
  MAX_ARMOUR_CHARS,
  MAX_SEALED_BYTES,
  MAX_SEALED_CONTENT_BYTES,
} from '../../protocol/sealed/suite.js';
import { codePointLength } from '../../protocol/text.js';
import { testRsaKeyPair } from '../helpers/rsa-keys.js';

const USERS = ['client1', 'client2', 'client3'] as const;
type User = (typeof USERS)[number];
const keys = new Map<User, { privateKey: KeyObject; publicKey: KeyObject }>();

beforeAll(() => {
  for (const user of USERS) keys.set(user, testRsaKeyPair(user));
});

const keyOf = (user: User): { privateKey: KeyObject; publicKey: KeyObject } => {
  const pair = keys.get(user);
  if (!pair) throw new Error(`no key for ${user}`);
  return pair;
};

function seal(
  content: string,
  recipients: User[] = ['client2'],
  options: { title?: string; sender?: User } = {},
): Buffer {
  const sender = options.sender ?? 'client1';
  return sealEmail({
    sender,
    senderPrivateKey: keyOf(sender).privateKey,
    title: options.title ?? 'Salaries',
    content,
    recipients,
    readers: recipients.map((name) => ({ name, publicKey: keyOf(name).publicKey })),
  });
}

function openAs(user: User, blob: Buffer, signer: User = 'client1'): OpenOutcome {
  const sealed = decodeSealedEmail(blob);
  return openSealedEmail(
    sealed,
    { name: user, privateKey: keyOf(user).privateKey, keyDigest: keyDigest(keyOf(user).publicKey) },
    keyOf(signer).publicKey,
  );
}

/** What a reader makes of bytes: the content, or why not (a format error counts as MALFORMED). */
function readerSees(user: User, blob: Buffer): string {
  try {
    const outcome = openAs(user, blob);
    return 'content' in outcome ? `content:${outcome.content}` : outcome.problem;
  } catch (error) {
    if (isProtocolError(error, 'INVALID_SEALED_EMAIL')) return 'MALFORMED';
    throw error;
  }
}

/** Where a decoded field lies in the blob. */
const offsetOf = (blob: Buffer, field: Buffer): number => field.byteOffset - blob.byteOffset;

const flipped = (blob: Buffer, at: number): Buffer => {
  const copy = Buffer.from(blob);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
};

const EMOJI_MILLION = '😀'.repeat(999_992) + 'é ü end.';

describe('sealing and opening', () => {
  it('round-trips for one recipient, who and the sender can open it, and nobody else', () => {
    const blob = seal('Q3 salaries: Alice 98k, Bob 87k.');
    expect(readerSees('client2', blob)).toBe('content:Q3 salaries: Alice 98k, Bob 87k.');
    expect(readerSees('client1', blob)).toBe('content:Q3 salaries: Alice 98k, Bob 87k.');
    expect(readerSees('client3', blob)).toBe('NOT_FOR_YOU');
    expect(blob.includes(Buffer.from('Alice'))).toBe(false);
  });

  it('round-trips for many recipients, each with a key of their own, in the order written', () => {
    const blob = seal('to all', ['client3', 'client2']);
    const sealed = decodeSealedEmail(blob);
    expect(sealed.recipients).toEqual(['client3', 'client2']);
    expect(sealed.keys.map((key) => key.name)).toEqual(['client3', 'client2', 'client1']);
    expect(new Set(sealed.keys.map((key) => key.wrapped.toString('hex'))).size).toBe(3);
    for (const user of USERS) expect(readerSees(user, blob)).toBe('content:to all');
  });

  it('takes 100 recipients and refuses 101', () => {
    const names = Array.from({ length: 101 }, (_, i) => `user${i}`);
    const readers = (count: number) =>
      names.slice(0, count).map((name) => ({ name, publicKey: keyOf('client2').publicKey }));
    const sealWith = (count: number): Buffer =>
      sealEmail({
        sender: 'client1',
        senderPrivateKey: keyOf('client1').privateKey,
        title: 'many',
        content: 'hi',
        recipients: names.slice(0, count),
        readers: readers(count),
      });
    expect(decodeSealedEmail(sealWith(100)).keys).toHaveLength(101);
    expect(() => sealWith(101)).toThrow(/101 recipients/);
  });

  it('seals a 1,000,000-character content of emoji within the bounds, stored and read back whole', () => {
    expect(codePointLength(EMOJI_MILLION)).toBe(1_000_000);
    const blob = seal(EMOJI_MILLION, ['client2', 'client3'], { title: '😀'.repeat(100) });
    expect(blob.length).toBeLessThanOrEqual(MAX_SEALED_BYTES);
    const text = armour(blob);
    expect(text.length).toBeLessThanOrEqual(MAX_ARMOUR_CHARS);
    const stored = parseStoredEmail(
      formatStoredEmail(
        { from: 'client1', to: ['client2', 'client3'], title: '😀'.repeat(100), content: text },
        '2026-01-02 03:04:05.678901',
      ),
    );
    expect(stored.contentLength).toBe(text.length);
    const outcome = openAs('client3', unarmour(stored.content));
    expect('content' in outcome && outcome.content === EMOJI_MILLION).toBe(true);
  });

  it('refuses a content over 4,000,000 bytes of UTF-8 before sealing it', () => {
    expect(() => seal('x'.repeat(MAX_SEALED_CONTENT_BYTES + 1))).toThrow(/at most 4000000/);
  });

  it('keeps the title and names in clear, signed; the content only as ciphertext', () => {
    const blob = seal('the secret part', ['client2'], { title: 'Lunch' });
    expect(blob.includes(Buffer.from('Lunch'))).toBe(true);
    expect(blob.includes(Buffer.from('client2'))).toBe(true);
    expect(blob.includes(Buffer.from('secret'))).toBe(false);
  });
});

describe('what a reader finds out', () => {
  it('finds every single changed byte, wherever it is: header, wrapped keys, ciphertext, tag, signature', () => {
    const blob = seal('Pay invoice 4711 to account 1234-5678.', ['client2', 'client3']);
    const seen = new Set<string>();
    for (let at = 0; at < blob.length; at++) {
      const result = readerSees('client2', flipped(blob, at));
      expect(result, `byte ${at}`).not.toMatch(/^content:/);
      seen.add(result);
    }
    // Most changes break the signature; some break the structure first.
    expect(seen).toContain('BAD_SIGNATURE');
    expect(seen).toContain('MALFORMED');
  });

  it('finds a changed title, recipient list, wrapped key, ciphertext or signature, named field by field', () => {
    const blob = seal('content', ['client2', 'client3'], { title: 'Salaries' });
    const sealed = decodeSealedEmail(blob);
    const [wrapped] = sealed.keys;
    if (!wrapped) throw new Error('no wrapped key');
    const fields: Record<string, number> = {
      title: blob.indexOf('Salaries'),
      recipients: blob.indexOf('client3'),
      wrappedKey: offsetOf(blob, wrapped.wrapped) + 10,
      keyFingerprint: offsetOf(blob, wrapped.fingerprint),
      ciphertext: offsetOf(blob, sealed.ciphertext),
      tag: offsetOf(blob, sealed.tag),
      nonce: offsetOf(blob, sealed.nonce),
      commitment: offsetOf(blob, sealed.commitment),
      signature: offsetOf(blob, sealed.signature) + 5,
    };
    for (const [field, at] of Object.entries(fields)) {
      expect(at, field).toBeGreaterThan(0);
      // A renamed recipient may break the structure (a key wrapped for nobody) before the signature.
      expect(readerSees('client2', flipped(blob, at)), field).toMatch(
        /^(BAD_SIGNATURE|MALFORMED)$/,
      );
    }
  });

  it('finds the server\u2019s From, To and Title lines when they are not the signed ones', () => {
    const sealed = decodeSealedEmail(seal('c', ['client2', 'client3'], { title: 'Salaries' }));
    const stored = (fields: Partial<StoredEmail>) => ({
      from: 'client1',
      to: ['client2', 'client3'],
      title: 'Salaries',
      ...fields,
    });
    expect(alteredEnvelopeLines(stored({}), sealed)).toEqual([]);
    expect(alteredEnvelopeLines(stored({ title: 'Lunch' }), sealed)).toEqual(['Title']);
    expect(alteredEnvelopeLines(stored({ to: ['client2'] }), sealed)).toEqual(['To']);
    expect(alteredEnvelopeLines(stored({ to: ['client3', 'client2'] }), sealed)).toEqual(['To']);
    expect(alteredEnvelopeLines(stored({ from: 'client3' }), sealed)).toEqual(['From']);
  });

  it('an email re-addressed or replayed to someone it was not sealed for cannot be opened by them', () => {
    expect(readerSees('client3', seal('for client2 only'))).toBe('NOT_FOR_YOU');
  });

  it('a co-recipient who re-signs it as their own (a stripped signature) cannot make it decrypt', () => {
    // client2 can read it, so it can rebuild everything but the content key's AEAD binding:
    // the header (the sender's name) is the AEAD's additional data.
    const original = decodeSealedEmail(seal('written by client1', ['client2', 'client3']));
    const forged = reSigned(original, 'client2', (header) => ({
      ...header,
      sender: 'client2',
      recipients: ['client3', 'client1'],
    }));
    const sealed = decodeSealedEmail(forged);
    const outcome = openSealedEmail(
      sealed,
      {
        name: 'client3',
        privateKey: keyOf('client3').privateKey,
        keyDigest: keyDigest(keyOf('client3').publicKey),
      },
      keyOf('client2').publicKey,
    );
    expect(outcome).toEqual({ problem: 'UNREADABLE' });
  });

  it('a reader checks the key commitment: a key that is not the committed one is refused, even where it decrypts', () => {
    // A sender that commits to one key and encrypts under another could, with a ciphertext
    // crafted to decrypt under two keys, show two readers two contents; the check stops it.
    const contentKey = randomBytes(32);
    const forged = sealedByHand({ contentKey, committedKey: randomBytes(32) });
    expect(readerSees('client2', forged)).toBe('UNREADABLE');
    expect(readerSees('client2', sealedByHand({ contentKey, committedKey: contentKey }))).toBe(
      'content:by hand',
    );
  });

  it('an email sealed for another key of the reader is refused as such', () => {
    const blob = sealEmail({
      sender: 'client1',
      senderPrivateKey: keyOf('client1').privateKey,
      title: 't',
      content: 'c',
      recipients: ['client2'],
      readers: [{ name: 'client2', publicKey: keyOf('client3').publicKey }],
    });
    expect(readerSees('client2', blob)).toBe('WRONG_KEY');
  });

  it('a signature made for anything else with the sender\u2019s key does not pass', () => {
    const sealed = decodeSealedEmail(seal('c'));
    const signature = signSealed(keyOf('client1').privateKey, Buffer.from('something else'));
    expect(readerSees('client2', encodeSealedEmail(sealed.signedBytes, signature))).toBe(
      'BAD_SIGNATURE',
    );
  });
});

/** A sealed email from client1 to client2 put together step by step, committing to `committedKey`. */
function sealedByHand(keysUsed: { contentKey: Buffer; committedKey: Buffer }): Buffer {
  const headerBytes = encodeHeader({
    sender: 'client1',
    signedAtMs: Date.now(),
    title: 't',
    recipients: ['client2'],
    keys: ['client2', 'client1'].map((name) => ({
      name,
      fingerprint: keyDigest(keyOf(name as User).publicKey),
      wrapped: wrapContentKey(keyOf(name as User).publicKey, keysUsed.contentKey),
    })),
    commitment: commitmentTo(keysUsed.committedKey),
  });
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keysUsed.contentKey, nonce);
  cipher.setAAD(headerBytes);
  const ciphertext = Buffer.concat([cipher.update('by hand'), cipher.final()]);
  const signedBytes = encodeSignedPart(headerBytes, {
    nonce,
    ciphertext,
    tag: cipher.getAuthTag(),
  });
  return encodeSealedEmail(signedBytes, signSealed(keyOf('client1').privateKey, signedBytes));
}

/** The email rebuilt with a changed header and signed by `signer`, keeping its ciphertext. */
function reSigned(
  sealed: SealedEmail,
  signer: User,
  change: (header: SealedEmail) => Parameters<typeof encodeHeader>[0],
): Buffer {
  const headerBytes = encodeHeader(change(sealed));
  const signedBytes = encodeSignedPart(headerBytes, sealed);
  return encodeSealedEmail(signedBytes, signSealed(keyOf(signer).privateKey, signedBytes));
}

describe('bounds before allocation', () => {
  const prefix = (): FieldWriter =>
    new FieldWriter().raw(Buffer.from('SEALMAIL')).u8(1).text('client1').u64(0).text('t');

  const refusal = (blob: Buffer): string => {
    try {
      decodeSealedEmail(blob);
      return 'accepted';
    } catch (error) {
      if (!isProtocolError(error, 'INVALID_SEALED_EMAIL')) throw error;
      expect(error.fatal).toBe(false);
      return error.message;
    }
  };

  it('refuses a recipient count that cannot fit in what is left, before reading one', () => {
    expect(refusal(prefix().u16(65535).done())).toMatch(/65535 recipients cannot fit/);
  });

  it('refuses more than 100 recipients and more than 101 wrapped keys', () => {
    const many = prefix().u16(101);
    for (let i = 0; i < 101; i++) many.text(`u${i}`);
    expect(refusal(many.done())).toMatch(/101 recipients; at most 100/);
    const keysWriter = prefix().u16(1).text('client2').u16(102);
    for (let i = 0; i < 102; i++)
      keysWriter.text(`u${i}`).raw(Buffer.alloc(32)).bytes(Buffer.alloc(1));
    expect(refusal(keysWriter.done())).toMatch(/102 wrapped keys; at most 101/);
  });

  it('refuses a wrapped key over 512 bytes and a ciphertext over 4,000,000 bytes by their lengths', () => {
    const bigKey = prefix()
      .u16(1)
      .text('client2')
      .u16(1)
      .text('client1')
      .raw(Buffer.alloc(32))
      .u16(600);
    expect(refusal(Buffer.concat([bigKey.done(), Buffer.alloc(600)]))).toMatch(
      /wrapped key has 600 bytes; at most 512/,
    );
    const header = encodeHeader({
      sender: 'client1',
      signedAtMs: 0,
      title: 't',
      recipients: ['client2'],
      keys: [{ name: 'client1', fingerprint: Buffer.alloc(32), wrapped: Buffer.alloc(256) }],
      commitment: commitmentTo(Buffer.alloc(32)),
    });
    const claimsHuge = new FieldWriter().raw(header).raw(Buffer.alloc(12)).u32(4_000_001).done();
    expect(refusal(claimsHuge)).toMatch(/ciphertext has 4000001 bytes; at most 4000000/);
  });

  it('refuses a sealed email larger than the largest one allowed, before reading it', () => {
    expect(refusal(Buffer.alloc(MAX_SEALED_BYTES + 1))).toMatch(/a sealed email has at most/);
  });

  it('refuses another magic, another format version, an unsigned email and bytes left over', () => {
    const good = seal('c');
    expect(refusal(flipped(good, 0))).toMatch(/magic/);
    expect(refusal(flipped(good, 8))).toMatch(/format version 3 is not known/);
    const sealed = decodeSealedEmail(good);
    expect(refusal(encodeSealedEmail(sealed.signedBytes, Buffer.alloc(0)))).toMatch(/not signed/);
    expect(refusal(Buffer.concat([good, Buffer.from([0])]))).toMatch(/left over/);
  });
});

describe('the email id (format version 2)', () => {
  it('is 16 random bytes after the signing time, different for each email, and signed', () => {
    const blob = seal('hello');
    const sealed = decodeSealedEmail(blob);
    expect(blob[8]).toBe(2);
    expect(sealed.emailId?.length).toBe(16);
    // magic 8, version 1, sender 2 + 7, signed at 8: the id is at byte 26.
    expect(offsetOf(blob, sealed.emailId ?? Buffer.alloc(0))).toBe(26);
    expect(
      decodeSealedEmail(seal('hello')).emailId?.equals(sealed.emailId ?? Buffer.alloc(0)),
    ).toBe(false);
    // A changed id is a changed email: the signature no longer holds.
    expect(readerSees('client2', flipped(blob, 30))).toBe('BAD_SIGNATURE');
  });

  it('an email of format version 1 (no id), as sealed before, still opens and says it has no id', () => {
    const old = sealEmail({
      sender: 'client1',
      senderPrivateKey: keyOf('client1').privateKey,
      title: 'Old',
      content: 'sealed before ids',
      recipients: ['client2'],
      readers: [{ name: 'client2', publicKey: keyOf('client2').publicKey }],
      emailId: null,
    });
    expect(old[8]).toBe(1);
    expect(decodeSealedEmail(old).emailId).toBeUndefined();
    expect(readerSees('client2', old)).toBe('content:sealed before ids');
    expect(old.length).toBe(seal('sealed before ids', ['client2'], { title: 'Old' }).length - 16);
  });
});

describe('armour', () => {
  it('is the only spelling read: a changed, added or removed character is refused', () => {
    const text = armour(seal('c'));
    expect(unarmour(text).length).toBeGreaterThan(0);
    expect(
      text
        .split('\n')
        .slice(1, -2)
        .every((line) => line.length === 64),
    ).toBe(true);
    const inBody = text.indexOf('\n') + 10;
    const notBase64 = `${text.slice(0, inBody)}*${text.slice(inBody + 1)}`;
    const added = `${text.slice(0, inBody)}A${text.slice(inBody)}`;
    const removed = `${text.slice(0, inBody)}${text.slice(inBody + 1)}`;
    // The same characters in other lines: one line a character longer, the next one shorter.
    const firstLineEnd = text.indexOf('\n', text.indexOf('\n') + 1);
    const moved = `${text.slice(0, firstLineEnd)}${text[firstLineEnd + 1] ?? ''}\n${text.slice(firstLineEnd + 2)}`;
    const oneLine = `${text.split('\n')[0] ?? ''}\n${text.split('\n').slice(1, -1).join('')}\n${text.split('\n').at(-1) ?? ''}`;
    for (const bad of [
      notBase64,
      added,
      removed,
      moved,
      oneLine,
      `${text}\n`,
      text.replace('\n', '\n\n'),
      text.replace('\n', '\r\n'),
    ])
      expect(() => unarmour(bad)).toThrow(/sealed body/);
    // A changed base64 character is other bytes, spelt right: the signature finds it.
    const otherLetter = `${text.slice(0, inBody)}${text[inBody] === 'A' ? 'B' : 'A'}${text.slice(inBody + 1)}`;
    expect(readerSees('client2', unarmour(otherLetter))).toMatch(/^(BAD_SIGNATURE|MALFORMED)$/);
  });

  it('a stored sealed body is held to its own bound, not to the 1,000,000 characters of a plain content', () => {
    const stored = (content: string) =>
      formatStoredEmail(
        { from: 'client1', to: ['client2'], title: 't', content },
        '2026-01-02 03:04:05',
      );
    const longArmour = armour(Buffer.alloc(1_000_000));
    expect(longArmour.length).toBeGreaterThan(1_000_000);
    expect(parseStoredEmail(stored(longArmour)).content).toBe(longArmour);
    expect(() => parseStoredEmail(stored('x'.repeat(1_000_001)))).toThrow(/limit is 1000000/);
    const tooLong = `${armour(Buffer.alloc(0))}${'x'.repeat(MAX_ARMOUR_CHARS)}`;
    expect(() => parseStoredEmail(stored(tooLong))).toThrow(/limit is/);
  });
});

describe('the sender\u2019s own key is read from the private key', () => {
  it('wraps the content key for the sender with the public half of the key that signs', () => {
    const sealed = decodeSealedEmail(seal('c'));
    const own = sealed.keys.find((key) => key.name === 'client1');
    expect(own?.fingerprint.equals(keyDigest(createPublicKey(keyOf('client1').privateKey)))).toBe(
      true,
    );
  });
});
