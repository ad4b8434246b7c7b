/**
 * The browser's requests are checked twice: by the zod schemas of gateway/messages.ts in the
 * main process, and by the hand-written guards of child-protocol.ts in the session child. A
 * property test holds the two against each other: over many generated requests, near every
 * bound and just past it, each accepts exactly what the other accepts. The generator is a
 * seeded one (no property-testing library here), so a failure names a seed that repeats it.
 */
import { describe, expect, it } from 'vitest';
import { RequestSchema } from '../../gateway/messages.js';
import {
  MAX_CONTENT_CHARS,
  MAX_EMAIL_ID_CHARS,
  MAX_INBOX_INDEX,
  MAX_RECIPIENTS,
  MAX_SENT_ID_CHARS,
  MAX_TITLE_CHARS,
  MAX_USERNAME_CHARS,
  MAX_SEARCH_QUERY_CHARS,
} from '../../gateway/request-limits.js';
import { MAX_MARKS_PER_REQUEST } from '../../gateway/mark-limits.js';
import {
  parseParentToChild,
  type SessionRequest,
} from '../../gateway/web-bridge/child-protocol.js';

/** mulberry32: small, seeded, good enough to pick test values. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pick = <T>(values: readonly T[]) => T;

/** Strings of the lengths around `max` (and a few others), of ASCII or of astral characters. */
function textsAround(max: number, pick: Pick): unknown[] {
  const lengths = [0, 1, max - 1, max, max + 1];
  return lengths
    .filter((n) => n >= 0)
    .flatMap((n) => [
      'a'.repeat(n),
      // Code points beyond the BMP: two UTF-16 units each, one code point.
      '😀'.repeat(Math.ceil(n / 2)),
      `${'b'.repeat(Math.max(0, n - 1))}${pick(['\n', '\r', 'c'])}`,
    ]);
}

const ODD_VALUES: unknown[] = [undefined, null, true, 0, -1, 1.5, Number.NaN, {}, [], 'x'];

function generate(random: () => number): Record<string, unknown> {
  const pick: Pick = (values) =>
    values[Math.floor(random() * values.length)] as (typeof values)[number];
  const maybe = (values: unknown[]): unknown => (random() < 0.15 ? pick(ODD_VALUES) : pick(values));
  const names = (): unknown =>
    maybe([
      ...[0, 1, 2, MAX_RECIPIENTS, MAX_RECIPIENTS + 1].map((count) =>
        Array.from({ length: count }, () => maybe(textsAround(MAX_USERNAME_CHARS, pick))),
      ),
      ['client1', 42],
    ]);
  const type = pick<SessionRequest['type']>([
    'listInbox',
    'read',
    'send',
    'listSent',
    'readSent',
    'delete',
    'sealingPlan',
    'verifyKey',
    'loadMarks',
    'setRead',
    'moveToTrash',
    'emptyTrash',
    'search',
  ]);
  const message: Record<string, unknown> = {
    type,
    id: maybe([0, 1, 7, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -3]),
  };
  const mark = (): unknown =>
    maybe(['m1', 'a.b-c_d', 'x'.repeat(64), 'x'.repeat(65), '', 'bad mark']);
  // Lists around the bound, the long ones rarely (each is MAX_MARKS_PER_REQUEST long).
  const listOf = (item: () => unknown): unknown =>
    maybe([
      ...[0, 1, 2, 3].map((count) => Array.from({ length: count }, item)),
      ...(random() < 0.05
        ? [MAX_MARKS_PER_REQUEST, MAX_MARKS_PER_REQUEST + 1].map((count) =>
            Array.from({ length: count }, () => 'm'),
          )
        : []),
    ]);
  const fields: Record<SessionRequest['type'], () => void> = {
    loadMarks: () => undefined,
    reconnectNow: () => undefined,
    setRead: () => {
      message.marks = listOf(mark);
      message.read = maybe([true, false]);
    },
    emptyTrash: () => {
      message.marks = listOf(mark);
    },
    moveToTrash: () => {
      message.emails = listOf(() =>
        maybe([
          { mark: mark() },
          { mark: mark(), emailId: maybe(textsAround(MAX_EMAIL_ID_CHARS, pick)) },
          ['m1'],
        ]),
      );
      if (random() < 0.5) message.restore = maybe([true, false]);
    },
    listInbox: () => undefined,
    listSent: () => undefined,
    search: () => {
      message.query = maybe(['', 'quarterly', ...textsAround(MAX_SEARCH_QUERY_CHARS, pick)]);
    },
    read: () => {
      message.index = maybe([1, 2, MAX_INBOX_INDEX, MAX_INBOX_INDEX + 1, 0, 2.5]);
      if (random() < 0.6) message.emailId = maybe(textsAround(MAX_EMAIL_ID_CHARS, pick));
    },
    delete: () => {
      message.emailId = maybe(textsAround(MAX_EMAIL_ID_CHARS, pick));
    },
    readSent: () => {
      message.sentId = maybe(textsAround(MAX_SENT_ID_CHARS, pick));
    },
    sealingPlan: () => {
      message.to = names();
    },
    verifyKey: () => {
      message.name = maybe(textsAround(MAX_USERNAME_CHARS, pick));
      message.fingerprint = maybe([
        `SHA256:${'A'.repeat(43)}`,
        `SHA256:${'A'.repeat(42)}`,
        `SHA256:${'A'.repeat(42)}!`,
        'SHA256:',
      ]);
    },
    send: () => {
      message.to = names();
      message.title = maybe(textsAround(MAX_TITLE_CHARS, pick));
      message.content = maybe(
        random() < 0.1 ? textsAround(MAX_CONTENT_CHARS, pick) : ['', 'hello', 'two\nlines'],
      );
      if (random() < 0.5)
        message.sendId = maybe(['AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAB', 'short']);
      if (random() < 0.3) message.unsealed = maybe([true, false]);
    },
  };
  fields[type]();
  return message;
}

describe('the browser requests a session child takes', () => {
  it('are the same for the zod schemas and for the IPC guards', () => {
    const seed = 25;
    const random = randomSource(seed);
    const counts = { both: 0, neither: 0 };
    for (let run = 0; run < 3000; run++) {
      const message = generate(random);
      const byZod = RequestSchema.safeParse(message).success;
      const byGuard = parseParentToChild(message) !== undefined;
      if (byZod !== byGuard)
        throw new Error(
          `seed ${seed}, run ${run}: zod ${byZod ? 'accepts' : 'refuses'}, the guards ${byGuard ? 'accept' : 'refuse'} ${JSON.stringify(message, (_key, value: unknown) => (typeof value === 'string' && value.length > 80 ? `<${value.length} chars: ${value.slice(0, 20)}…>` : value))}`,
        );
      counts[byZod ? 'both' : 'neither']++;
    }
    // Both sides of every bound were reached, not just one.
    expect(counts.both).toBeGreaterThan(300);
    expect(counts.neither).toBeGreaterThan(300);
  });

  it('are refused past each bound, by both', () => {
    const past = [
      { type: 'delete', id: 1, emailId: 'e'.repeat(MAX_EMAIL_ID_CHARS + 1) },
      { type: 'readSent', id: 1, sentId: 's'.repeat(MAX_SENT_ID_CHARS + 1) },
      { type: 'sealingPlan', id: 1, to: ['n'.repeat(MAX_USERNAME_CHARS + 1)] },
      { type: 'sealingPlan', id: 1, to: Array.from({ length: MAX_RECIPIENTS + 1 }, () => 'n') },
      { type: 'read', id: 1, index: MAX_INBOX_INDEX + 1 },
      { type: 'send', id: 1, to: ['n'], title: 't'.repeat(MAX_TITLE_CHARS + 1), content: '' },
    ];
    for (const message of past) {
      expect(RequestSchema.safeParse(message).success, JSON.stringify(message).slice(0, 80)).toBe(
        false,
      );
      expect(parseParentToChild(message), JSON.stringify(message).slice(0, 80)).toBeUndefined();
    }
  });
});
