/**
 * Attack 7 (scripts/attack/tampering.ts) against a real server (dist/) and real clients: the
 * server's operator edits stored emails on disk. A plain email's edit is shown as genuine; a
 * sealed email's edits are caught by the recipient's client, which warns and shows no content
 * that does not verify.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Lab, removeKeyTemplate, type Protocol } from '../../scripts/attack/lab.js';
import {
  FORGED_ACCOUNT,
  GENUINE_ACCOUNT,
  RECIPIENT,
  tamperAtRest,
} from '../../scripts/attack/tampering.js';

let lab: Lab | undefined;
async function startLab(protocol: Protocol): Promise<Lab> {
  lab = await Lab.start(protocol);
  return lab;
}
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});
afterAll(removeKeyTemplate);

describe('tampering with stored emails on the server', () => {
  it('classic: the edited account number of a plain email is shown as the sender wrote it', async () => {
    const current = await startLab('classic');
    const result = await tamperAtRest(current);
    const stored = current.inbox(RECIPIENT);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.text).toContain(FORGED_ACCOUNT);
    expect(result.edits).toHaveLength(1);
    expect(result.edits[0]).toMatchObject({
      edit: 'content',
      shownTitle: 'Invoice 42',
      fooled: true,
    });
    expect(result.edits[0]?.shownContent).toContain(FORGED_ACCOUNT);
    expect(result.succeeded).toBe(true);
  });

  it('enhanced, sealed: an edited body and an edited title are caught; a plain email in place shows unsealed', async () => {
    const current = await startLab('enhanced');
    const result = await tamperAtRest(current);
    const [body, title, downgrade] = result.edits;
    // The signature covers the body: nothing of it is shown.
    expect(body).toMatchObject({
      edit: 'sealed body',
      shownContent: undefined,
      sealed: { verified: false },
      fooled: false,
    });
    expect(body?.sealed?.problem).toMatch(/^(BAD_SIGNATURE|MALFORMED)$/);
    expect(body?.sealed?.warning).toMatch(/Its content is not shown\.$/);
    // The title is signed in clear: the signed one is shown, with the warning.
    expect(title).toMatchObject({
      edit: 'title line',
      shownTitle: 'Invoice 43',
      sealed: { verified: false, problem: 'ENVELOPE_ALTERED' },
      fooled: false,
    });
    expect(title?.sealed?.warning).toContain("The server's Title line");
    expect(title?.shownContent).toContain(GENUINE_ACCOUNT);
    // The limit, stated in the report: a plain email in place of a sealed one is just unsealed.
    expect(downgrade?.edit).toBe('plain in place of sealed');
    expect(downgrade?.shownContent).toContain(FORGED_ACCOUNT);
    expect(downgrade?.sealed).toBeUndefined();
    expect(result.lines.some((line) => line.startsWith('LIMIT: a plain email'))).toBe(true);
    expect(result.succeeded).toBe(false);
  });
});
