/** Connections dropped before a session: at most one log line a second, with the count and why. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DropReport } from '../../mail-server/drop-report.js';
import type { Logger } from '../../mail-server/log.js';

let lines: { fields: Record<string, unknown>; message: string }[];
const log: Logger = {
  fatal: () => undefined,
  error: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  warn: (fields: object | string, message?: string) => {
    lines.push({ fields: fields as Record<string, unknown>, message: message ?? '' });
  },
};

beforeEach(() => {
  lines = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('dropped connections', () => {
  it('are logged at once, then summed once a second while they go on', () => {
    const report = new DropReport(log);
    report.dropped('queue full', '10.0.0.1');
    expect(lines.map((line) => line.message)).toEqual(['connections dropped: 1 (queue full: 1)']);
    for (let i = 0; i < 1000; i++)
      report.dropped(i % 2 ? 'queue full' : 'too many from one address', '10.0.0.2');
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(2);
    expect(lines[1]?.message).toBe(
      'connections dropped: 1000 (too many from one address: 500; queue full: 500)',
    );
    expect(lines[1]?.fields).toMatchObject({ dropped: 1000, lastAddress: '10.0.0.2' });
    // A quiet second writes nothing; the next drop after it is logged at once again.
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(2);
    report.dropped('queue full', '10.0.0.3');
    expect(lines).toHaveLength(3);
    report.dropped('queue full', '10.0.0.3');
    report.close();
    expect(lines.map((line) => line.message)[3]).toBe('connections dropped: 1 (queue full: 1)');
    expect(vi.getTimerCount()).toBe(0);
  });
});
