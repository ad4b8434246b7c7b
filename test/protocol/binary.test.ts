/** Binary fields: what the writer writes, across its buffer's growth, the reader reads back. */
import { describe, expect, it } from 'vitest';
import { FieldReader, FieldWriter } from '../../protocol/binary.js';

describe('binary fields', () => {
  it('reads back every field of a message that outgrows the writer’s buffer many times', () => {
    const writer = new FieldWriter();
    const texts = Array.from({ length: 5000 }, (_, i) => `row ${i} é😀`.repeat(1 + (i % 7)));
    const big = Buffer.alloc(70_000, 7);
    writer.u32(texts.length);
    for (const [i, text] of texts.entries())
      writer
        .u8(i % 256)
        .u16(i)
        .text(text)
        .u64(i * 1e9);
    writer.longBytes(big).bytes(Buffer.from('end'));
    const message = writer.done();
    const reader = new FieldReader(message, 'test message', 'UNEXPECTED_MESSAGE');
    expect(reader.u32('count')).toBe(texts.length);
    for (const [i, text] of texts.entries()) {
      expect(reader.u8('byte')).toBe(i % 256);
      expect(reader.u16('short')).toBe(i);
      expect(reader.text('text')).toBe(text);
      expect(reader.u64('long')).toBe(i * 1e9);
    }
    expect(Buffer.compare(reader.longBytes('big', 100_000), big)).toBe(0);
    expect(reader.bytes('end').toString()).toBe('end');
    reader.end();
  });

  it('refuses a text field over 65,535 bytes, counted in UTF-8 bytes', () => {
    expect(() => new FieldWriter().text('é'.repeat(32_768))).toThrow(RangeError);
    expect(new FieldWriter().text('é'.repeat(32_767)).done()).toHaveLength(2 + 65_534);
  });
});
