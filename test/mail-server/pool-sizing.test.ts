import { describe, expect, it } from 'vitest';
import {
  idleToRetire,
  processesToStart,
  StartRamp,
  StartBackoff,
} from '../../mail-server/pool-sizing.js';

const limits = { spare: 4, maxSessions: 250, slotsPerProcess: 1 };
const counts = { freeSlots: 0, starting: 0, active: 0, queued: 0 };

describe('pool sizing', () => {
  it('starts processes for the spares and for every waiting connection, within the ramp', () => {
    expect(processesToStart(counts, limits, 4)).toBe(4);
    expect(processesToStart({ ...counts, freeSlots: 4 }, limits, 4)).toBe(0);
    expect(processesToStart({ ...counts, freeSlots: 4, queued: 10 }, limits, 4)).toBe(4);
    expect(processesToStart({ ...counts, freeSlots: 4, queued: 10, starting: 3 }, limits, 4)).toBe(
      1,
    );
    expect(processesToStart({ ...counts, queued: 100 }, limits, 1)).toBe(1);
  });

  it('never starts more sessions than --max-sessions allows', () => {
    expect(processesToStart({ ...counts, active: 248, queued: 50 }, limits, 32)).toBe(2);
    expect(processesToStart({ ...counts, active: 250, queued: 50 }, limits, 32)).toBe(0);
  });

  it('counts a process of several clients as that many slots', () => {
    const shared = { ...limits, slotsPerProcess: 16 };
    expect(processesToStart({ ...counts, queued: 100 }, shared, 32)).toBe(7);
    expect(processesToStart({ ...counts, queued: 100, starting: 7 }, shared, 32)).toBe(0);
    expect(processesToStart({ ...counts, freeSlots: 3 }, shared, 32)).toBe(1);
  });

  it('ramps the starts at once 1, 2, 4 … up to its ceiling while short, and back to 1', () => {
    const ramp = new StartRamp(8);
    const seen = [ramp.limit];
    for (let i = 0; i < 5; i++) {
      ramp.started(true);
      seen.push(ramp.limit);
    }
    expect(seen).toEqual([1, 2, 4, 8, 8, 8]);
    ramp.started(false);
    expect(ramp.limit).toBe(1);
  });

  it('retires idle processes beyond --max-spare at once, oldest idle first', () => {
    const retire = { spare: 2, maxSpare: 3, maxIdleMs: 60_000, slotsPerProcess: 1 };
    expect(idleToRetire([50, 10, 40, 30, 20], 100, retire, 0)).toEqual([1, 4]);
  });

  it('retires processes idle too long while the spares stay', () => {
    const retire = { spare: 2, maxSpare: 10, maxIdleMs: 1000, slotsPerProcess: 1 };
    // Four idle: three are old, one is fresh; two must stay as spares.
    expect(idleToRetire([0, 0, 0, 5000], 5500, retire, 0).sort()).toEqual([0, 1]);
    // Free slots in busy processes count toward the spares.
    expect(idleToRetire([0, 0, 0, 5000], 5500, retire, 2).sort()).toEqual([0, 1, 2]);
    expect(idleToRetire([5000], 5500, retire, 0)).toEqual([]);
  });
});

describe('StartBackoff', () => {
  it('lets three failed starts in a row through, then waits 1 s, 2 s, 4 s … up to 30 s, until one is ready', () => {
    const backoff = new StartBackoff();
    const waits = Array.from({ length: 10 }, () => backoff.failed(1000));
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(backoff.waitMs(1000)).toBe(30_000);
    expect(backoff.waitMs(31_000)).toBe(0);
    backoff.succeeded();
    expect(backoff.waitMs(1000)).toBe(0);
    expect(backoff.failed(1000)).toBe(0);
  });
});
