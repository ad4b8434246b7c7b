import { isUtf8 } from 'node:buffer';
import { ProtocolError } from './errors.js';

/**
 * Decodes UTF-8, refusing malformed bytes instead of replacing them. A byte-order mark is
 * kept: it is part of the text. (isUtf8 + toString is several times faster than a fatal
 * TextDecoder on Node 20.)
 */
export function decodeUtf8(bytes: Uint8Array): string {
  if (!isUtf8(bytes)) throw new ProtocolError('BAD_UTF8', 'the message is not valid UTF-8');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function encodeUtf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Length in Unicode code points, as Python's len() counts a str. */
export function codePointLength(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        surrogatePairs++;
        i++;
      }
    }
  }
  return text.length - surrogatePairs;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Makes text safe to print on one terminal line: control characters become visible symbols. */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARS, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return '\ufffd';
  });
}

export function hasControlChars(text: string): boolean {
  CONTROL_CHARS.lastIndex = 0;
  const found = CONTROL_CHARS.test(text);
  CONTROL_CHARS.lastIndex = 0;
  return found;
}
