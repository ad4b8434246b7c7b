import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InboxItem } from '../../gateway/messages.js';
import { GatewayRequestError } from '../../web/src/lib/gateway-client.js';
import { HeldDeletes, type HeldDeleteEvents } from '../../web/src/lib/held-deletes.js';

const email = (id: string | undefined, index = 1): InboxItem => ({
  index,
  from: 'client1',
  receivedAt: '2026-11-20 09:00:00.000001',
  title: `Email ${index}`,
  ...(id === undefined ? {} : { id }),
});

/** The page's side, recorded: notices shown and withdrawn, rows held and back, requests. */
function page(answer: (emailId: string) => Promise<unknown> = () => Promise.resolve({})) {
  const log: string[] = [];
  const notices = new Map<number, { undo: () => void; gone: () => void }>();
  let nextNotice = 0;
  const events: HeldDeleteEvents = {
    show: (item, seconds, undo, gone) => {
      notices.set(++nextNotice, { undo, gone });
      log.push(`notice ${item.title} ${seconds}s`);
      return nextNotice;
    },
    withdraw: (id) => {
      if (notices.delete(id)) log.push('notice withdrawn');
    },
    remove: (emailId) => {
      log.push(`delete ${emailId}`);
      return answer(emailId);
    },
    hold: (ref, held) => log.push(`${held ? 'out' : 'back'} ${ref}`),
    deleted: (item) => log.push(`deleted ${item.title}`),
    failed: (item, error) =>
      log.push(`failed ${item.title}: ${error instanceof Error ? error.message : ''}`),
  };
  return { log, notices, events };
}

describe('web UI held deletes', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes the row out at once and sends the delete only when its notice goes', async () => {
    const { log, notices, events } = page();
    const deletes = new HeldDeletes(events);
    expect(deletes.hold(email('a1'), 5)).toBe(true);
    expect(log).toEqual(['out a1', 'notice Email 1 5s']);
    expect(deletes.size).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log).not.toContain('delete a1');
    // The notice's time is up (or it was dismissed).
    notices.get(1)?.gone();
    await vi.advanceTimersByTimeAsync(0);
    expect(log.slice(2)).toEqual(['notice withdrawn', 'delete a1', 'deleted Email 1']);
    expect(deletes.size).toBe(0);
    notices.get(1)?.gone();
    await vi.advanceTimersByTimeAsync(0);
    expect(log.filter((line) => line === 'delete a1')).toHaveLength(1);
  });

  it('sends nothing when undone, and the row is back', async () => {
    const { log, notices, events } = page();
    const deletes = new HeldDeletes(events);
    deletes.hold(email('a1'), 5);
    notices.get(1)?.undo();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(log).toEqual(['out a1', 'notice Email 1 5s', 'notice withdrawn', 'back a1']);
  });

  it('takes NOT_FOUND for done (it was deleted already); another error brings the row back', async () => {
    const gone = page(() =>
      Promise.reject(new GatewayRequestError('NOT_FOUND', 'no longer there')),
    );
    new HeldDeletes(gone.events).hold(email('a1'), 0);
    await vi.advanceTimersByTimeAsync(0);
    expect(gone.log).toEqual(['out a1', 'delete a1', 'deleted Email 1']);

    const broken = page(() => Promise.reject(new GatewayRequestError('INTERNAL', 'disk')));
    new HeldDeletes(broken.events).hold(email('a1'), 0);
    await vi.advanceTimersByTimeAsync(0);
    expect(broken.log).toEqual(['out a1', 'delete a1', 'back a1', 'failed Email 1: disk']);
  });

  it('sends every held delete at sign-out and waits for them; drops them when the session is gone', async () => {
    const { log, events } = page();
    const deletes = new HeldDeletes(events);
    deletes.hold(email('a1', 1), 30);
    deletes.hold(email('a2', 2), 30);
    await deletes.flush();
    expect(log.filter((line) => line.startsWith('deleted'))).toEqual([
      'deleted Email 1',
      'deleted Email 2',
    ]);

    const other = page();
    const dropped = new HeldDeletes(other.events);
    dropped.hold(email('b1'), 30);
    dropped.drop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(other.log).toEqual(['out b1', 'notice Email 1 30s', 'notice withdrawn', 'back b1']);
  });

  it('holds an email once, and none without an id (the classic protocol cannot delete)', () => {
    const { log, events } = page();
    const deletes = new HeldDeletes(events);
    expect(deletes.hold(email(undefined), 5)).toBe(false);
    deletes.hold(email('a1'), 5);
    deletes.hold(email('a1'), 5);
    expect(log).toEqual(['out a1', 'notice Email 1 5s']);
    expect(deletes.isHeld('a1')).toBe(true);
  });
});
