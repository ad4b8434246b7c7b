/**
 * The enhanced protocol's pieces on their own: the record layer against replay, reordering,
 * dropping, altering and reflection; the key schedule; the handshake decoders.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deriveTrafficKeys,
  newEphemeralKey,
  sharedSecret,
  type DirectionKeys,
} from '../../protocol/enhanced/key-schedule.js';
import {
  decodeClientAuth,
  decodeClientHello,
  decodeServerHello,
  encodeClientAuth,
  encodeClientHello,
} from '../../protocol/enhanced/messages.js';
import { RecordOpener, RecordSealer } from '../../protocol/enhanced/record.js';
import { ContentType } from '../../protocol/enhanced/suite.js';
import { isProtocolError } from '../../protocol/errors.js';

const keys = (): DirectionKeys => ({ key: randomBytes(32), iv: randomBytes(12) });
const data = (text: string): Buffer => Buffer.from(text);

function expectAuthFailure(open: () => unknown): void {
  let caught: unknown;
  try {
    open();
  } catch (error) {
    caught = error;
  }
  expect(isProtocolError(caught, 'RECORD_AUTH_FAILED')).toBe(true);
}

describe('record layer', () => {
  it('opens records in order and counts them', () => {
    const direction = keys();
    const sealer = new RecordSealer(direction);
    const opener = new RecordOpener(direction);
    for (const text of ['1', 'From: client1\n...', '4']) {
      const record = opener.open(sealer.seal(ContentType.data, data(text)));
      expect(record.payload.toString()).toBe(text);
      expect(record.type).toBe(ContentType.data);
    }
    expect(sealer.count).toBe(3);
    expect(opener.count).toBe(3);
  });

  it('keeps trailing zero bytes of a payload', () => {
    const direction = keys();
    const payload = Buffer.from([0x41, 0, 0, 0]);
    expect(
      new RecordOpener(direction).open(new RecordSealer(direction).seal(ContentType.data, payload))
        .payload,
    ).toEqual(payload);
  });

  it('refuses a replayed record', () => {
    const direction = keys();
    const sealer = new RecordSealer(direction);
    const opener = new RecordOpener(direction);
    const first = sealer.seal(ContentType.data, data('1'));
    opener.open(first);
    expectAuthFailure(() => opener.open(first));
  });

  it('refuses reordered and dropped records', () => {
    const direction = keys();
    const sealer = new RecordSealer(direction);
    sealer.seal(ContentType.data, data('dropped'));
    const second = sealer.seal(ContentType.data, data('second'));
    expectAuthFailure(() => new RecordOpener(direction).open(second));
  });

  it('refuses a record with any one bit changed, in the ciphertext or in the tag', () => {
    const direction = keys();
    const record = new RecordSealer(direction).seal(
      ContentType.data,
      data('An email of some length, well past one block.'),
    );
    for (const at of [0, 15, 16, 100, record.length - 17, record.length - 1]) {
      const altered = Buffer.from(record);
      altered[at] = (altered[at] ?? 0) ^ 0x01;
      expectAuthFailure(() => new RecordOpener(direction).open(altered));
    }
  });

  it('refuses any change to any byte of any record (property)', () => {
    const direction = keys();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (payload, position, mask) => {
          const record = new RecordSealer(direction).seal(ContentType.data, Buffer.from(payload));
          const altered = Buffer.from(record);
          const at = position % altered.length;
          altered[at] = (altered[at] ?? 0) ^ mask;
          expectAuthFailure(() => new RecordOpener(direction).open(altered));
          expect(new RecordOpener(direction).open(record).payload).toEqual(Buffer.from(payload));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a record sent back to its sender (each direction has its own key)', () => {
    const secret = randomBytes(32);
    const traffic = deriveTrafficKeys(secret, randomBytes(32));
    const fromClient = new RecordSealer(traffic.clientToServer).seal(ContentType.data, data('1'));
    expectAuthFailure(() => new RecordOpener(traffic.serverToClient).open(fromClient));
  });

  it('pads short messages to one length, so a menu choice does not show which', () => {
    const sealer = new RecordSealer(keys());
    const lengths = ['1', '4', 'OK', 'Send the email', 'the server request email index'].map(
      (text) => sealer.seal(ContentType.data, data(text)).length,
    );
    expect(new Set(lengths).size).toBe(1);
  });

  it('encrypts the same message differently each time', () => {
    const sealer = new RecordSealer(keys());
    expect(
      sealer.seal(ContentType.data, data('1')).equals(sealer.seal(ContentType.data, data('1'))),
    ).toBe(false);
  });
});

describe('key schedule', () => {
  it('gives both sides the same four secrets, all different, tied to the transcript', () => {
    const client = newEphemeralKey();
    const server = newEphemeralKey();
    const transcript = randomBytes(32);
    const onClient = deriveTrafficKeys(sharedSecret(client, server.publicRaw), transcript);
    const onServer = deriveTrafficKeys(sharedSecret(server, client.publicRaw), transcript);
    expect(onClient).toEqual(onServer);
    expect(onClient.clientToServer.key.equals(onClient.serverToClient.key)).toBe(false);
    const otherTranscript = deriveTrafficKeys(
      sharedSecret(client, server.publicRaw),
      randomBytes(32),
    );
    expect(otherTranscript.clientToServer.key.equals(onClient.clientToServer.key)).toBe(false);
  });

  it('refuses a low-order X25519 point (an all-zero shared secret)', () => {
    expect(() => sharedSecret(newEphemeralKey(), Buffer.alloc(32))).toThrow(/low-order|not usable/);
  });
});

describe('handshake messages', () => {
  it('round-trip, and refuse truncated or padded frames', () => {
    const hello = { version: 2, random: randomBytes(32), ephemeralPublic: randomBytes(32) };
    const frame = encodeClientHello(hello);
    expect(decodeClientHello(frame)).toEqual(hello);
    expect(() => decodeClientHello(Buffer.from([frame[0] ?? 0, 0, ...frame.subarray(2)]))).toThrow(
      /version 0/,
    );
    expect(() => decodeClientHello(frame.subarray(0, 65))).toThrow();
    expect(() => decodeClientHello(Buffer.concat([frame, Buffer.alloc(1)]))).toThrow();
    expect(() => decodeServerHello(frame)).toThrow();
    const auth = { username: 'client1', password: 'pässword1', signature: randomBytes(256) };
    expect(decodeClientAuth(encodeClientAuth(auth))).toEqual(auth);
    expect(() => decodeClientAuth(encodeClientAuth(auth).subarray(0, 20))).toThrow();
  });
});
