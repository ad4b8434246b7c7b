import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from '../../protocol/framing.js';
import { isProtocolError, ProtocolError } from '../../protocol/errors.js';

function decodeAll(chunks: Buffer[], max?: number): Buffer[] {
  const decoder = new FrameDecoder(max);
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

describe('frame decoder', () => {
  const payloads = [
    Buffer.from('first'),
    Buffer.alloc(0),
    Buffer.from('third frame, longer than the header'),
  ];
  const wire = Buffer.concat(payloads.map(encodeFrame));

  it('writes an 8-byte big-endian length before the payload', () => {
    const frame = encodeFrame(Buffer.from('abc'));
    expect(frame.subarray(0, 8)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]));
    expect(frame.subarray(8).toString()).toBe('abc');
  });

  it('takes coalesced frames in one chunk', () => {
    expect(decodeAll([wire])).toEqual(payloads);
  });

  it('takes the stream split at every single point', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      expect(decodeAll([wire.subarray(0, cut), wire.subarray(cut)])).toEqual(payloads);
    }
  });

  it('takes the stream one byte at a time', () => {
    const bytes = [...wire].map((byte) => Buffer.from([byte]));
    expect(decodeAll(bytes)).toEqual(payloads);
  });

  it('takes any chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (frames, sizes) => {
          const stream = Buffer.concat(frames.map((frame) => encodeFrame(Buffer.from(frame))));
          const chunks: Buffer[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = sizes[i % sizes.length] ?? 1;
            chunks.push(stream.subarray(offset, offset + size));
            offset += size;
          }
          expect(decodeAll(chunks).map((frame) => [...frame])).toEqual(
            frames.map((frame) => [...frame]),
          );
        },
      ),
    );
  });

  it('refuses a frame over the limit before buffering it', () => {
    const decoder = new FrameDecoder(1024);
    const header = Buffer.alloc(8);
    header.writeBigUInt64BE(1025n);
    expect(() => decoder.push(header)).toThrow(ProtocolError);
    try {
      new FrameDecoder().push(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0]));
      expect.unreachable();
    } catch (error) {
      expect(isProtocolError(error, 'FRAME_TOO_LARGE')).toBe(true);
    }
  });

  it('takes a frame exactly at the limit', () => {
    const payload = Buffer.alloc(MAX_FRAME_BYTES, 7);
    const frames = decodeAll([encodeFrame(payload)]);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.length).toBe(MAX_FRAME_BYTES);
  });

  it('says when a frame is unfinished', () => {
    const decoder = new FrameDecoder();
    expect(decoder.inFrame).toBe(false);
    decoder.push(encodeFrame(Buffer.from('hello')).subarray(0, 10));
    expect(decoder.inFrame).toBe(true);
  });

  it('only ever returns frames or throws a typed error on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const decoder = new FrameDecoder(4096);
        try {
          for (const chunk of chunks) decoder.push(Buffer.from(chunk));
        } catch (error) {
          expect(isProtocolError(error, 'FRAME_TOO_LARGE')).toBe(true);
        }
      }),
    );
  });
});
