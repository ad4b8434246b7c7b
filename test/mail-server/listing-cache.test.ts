/**
 * The listing the server keeps from one listing to the next, end to end in one process: the
 * seed-files store's index (two processes delivering into one inbox, receive times out of
 * order, removals), the rows the session hooks share, the classic listing's bytes made from
 * the last ones. After any sequence, a listing equals, byte for byte, the one a process that
 * never saw the inbox makes from its files.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeedFilesStore } from '../../mail-server/store/seed-files-store.js';
import { sessionHooks, type SessionContext } from '../../mail-server/session.js';
import {
  formatInboxListing,
  formatListingFrom,
  type FormattedListing,
} from '../../protocol/inbox.js';
import type { SessionHooks } from '../../protocol/operations/types.js';

const USERS = ['client1', 'client2'];
let homes: string[] = [];
beforeEach(() => {
  homes = [];
});
afterEach(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

type Step =
  | { kind: 'deliver'; by: number; title: string; second: number }
  | { kind: 'remove'; at: number }
  | { kind: 'list'; session: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('deliver' as const),
    by: fc.nat(1),
    title: fc.oneof(
      fc.constantFrom('hello', 'a much longer title than the others', 'déjà vu ✉'),
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ]{0,11}$/),
    ),
    second: fc.nat(59),
  }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat(20) }),
  fc.record({ kind: fc.constant('list' as const), session: fc.nat(2) }),
  fc.record({ kind: fc.constant('list' as const), session: fc.nat(2) }),
);

const at = (second: number): string => `2024-01-01 00:00:${String(second).padStart(2, '0')}.000000`;

/** The hooks of a session of client2 on `store` (only what a listing and a delete use). */
function hooksOf(store: SeedFilesStore): SessionHooks {
  const context = { store, log: { info: () => undefined } } as unknown as SessionContext;
  return sessionHooks(context, { name: 'client2' } as Parameters<typeof sessionHooks>[1]);
}

describe('the listing kept between listings', () => {
  it('equals the listing of a process that never saw the inbox, after any deliveries, removals and listings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const home = mkdtempSync(join(tmpdir(), 'sealed-mail-listing-'));
        homes.push(home);
        // Two processes deliver; the first one's three sessions list (they share its rows).
        const processes = [new SeedFilesStore(home, USERS), new SeedFilesStore(home, USERS)];
        const [lister, other] = processes as [SeedFilesStore, SeedFilesStore];
        const sessions = [hooksOf(lister), hooksOf(lister), hooksOf(lister)];
        let kept: FormattedListing | undefined;
        for (const change of steps.concat([{ kind: 'list', session: 0 }])) {
          if (change.kind === 'deliver') {
            const store = change.by === 0 ? lister : other;
            const content = `body of ${change.title}`;
            await store.deliver(
              {
                email: { from: 'client1', to: ['client2'], title: change.title, content },
                contentLength: content.length,
                receivedAt: at(change.second),
              },
              ['client2'],
              {},
            );
          } else if (change.kind === 'remove') {
            const listed = await lister.list('client2');
            const victim = listed[change.at % Math.max(1, listed.length)];
            if (victim) expect(await sessions[0]?.onDelete(victim.id)).toBe(true);
          } else {
            const rows = await sessions[change.session]?.onList();
            kept = formatListingFrom(kept, rows ?? []);
            const fromFiles = await new SeedFilesStore(home, USERS).list('client2');
            const expected = formatInboxListing(
              fromFiles.map((entry, i) => ({ ...entry, index: i + 1 })),
            );
            expect(kept.bytes.toString('utf8')).toBe(expected);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
