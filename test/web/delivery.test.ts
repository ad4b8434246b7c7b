import { describe, expect, it } from 'vitest';
import type { RecipientDelivery } from '../../gateway/messages.js';
import {
  copyProblemText,
  missedCount,
  parseReports,
  recipientResult,
  sendOutcome,
  withReport,
  type SentReply,
} from '../../web/src/lib/delivery.js';

const delivered = (name: string): RecipientDelivery => ({ name, status: 'delivered', reason: '' });
const unknown = (name: string): RecipientDelivery => ({ name, status: 'unknownUser', reason: '' });
const full = (name: string): RecipientDelivery => ({
  name,
  status: 'refused',
  reason: 'the recipient’s inbox is full',
});

const sent = (more: Partial<SentReply> = {}): SentReply => ({
  type: 'sent',
  id: 1,
  recipients: ['client2', 'ghost'],
  sentId: '20261126-124425-123456-9f3a1c2b',
  ...more,
});

describe('web UI delivery results', () => {
  it('says each recipient’s result in words', () => {
    expect(recipientResult(delivered('a'))).toBe('delivered');
    expect(recipientResult(unknown('a'))).toBe('no such user on the server');
    expect(recipientResult(full('a'))).toBe('refused: the recipient’s inbox is full');
    expect(recipientResult({ name: 'a', status: 'refused', reason: '' })).toBe('refused');
  });

  it('without a delivery report says only what is known: handed to the server', () => {
    const outcome = sendOutcome(sent({ recipients: ['client2'] }), 'Lunch');
    expect(outcome).toMatchObject({ tone: 'success', handedTo: ['client2'], hasDetails: false });
    expect(outcome.summary).toBe(
      'Handed to the server for client2. The classic protocol cannot tell whether it was delivered.',
    );
    expect(outcome.summary).not.toMatch(/delivered to|stored/i);
  });

  it('names who got it and who did not, and why', () => {
    const all = sendOutcome(
      sent({ delivery: { accepted: true, reason: '', recipients: [delivered('client2')] } }),
      'Lunch',
    );
    expect(all).toMatchObject({ tone: 'success', summary: 'Delivered to client2.' });
    expect(all.hasDetails).toBe(false);
    const mixed = sendOutcome(
      sent({
        delivery: {
          accepted: true,
          reason: '',
          recipients: [delivered('client2'), unknown('ghost'), full('client3')],
        },
      }),
      'Lunch',
    );
    expect(mixed.tone).toBe('error');
    expect(mixed.summary).toBe(
      'Delivered to client2. Not delivered: ghost (no such user on the server), client3 (refused: the recipient’s inbox is full).',
    );
    expect(mixed.hasDetails).toBe(true);
    const none = sendOutcome(
      sent({ delivery: { accepted: true, reason: '', recipients: [unknown('ghost')] } }),
      'Lunch',
    );
    expect(none.summary).toBe('Not delivered: ghost (no such user on the server).');
  });

  it('reports an email the server refused as a whole', () => {
    const outcome = sendOutcome(
      sent({ delivery: { accepted: false, reason: 'too many recipients', recipients: [] } }),
      'Lunch',
    );
    expect(outcome).toMatchObject({ tone: 'error', refusal: 'too many recipients' });
    expect(outcome.summary).toBe(
      'The server refused the email: too many recipients. It was delivered to no one.',
    );
  });

  it('tells when Sent kept no copy, and why', () => {
    const problem =
      'no copy was kept: client3/sent is a symbolic link; the gateway does not follow it';
    expect(copyProblemText(problem)).toBe(
      'client3/sent is a symbolic link; the gateway does not follow it',
    );
    expect(copyProblemText('the disk is full')).toBe('the disk is full');
    const outcome = sendOutcome(
      sent({
        sentCopyProblem: problem,
        delivery: { accepted: true, reason: '', recipients: [delivered('client2')] },
      }),
      'Lunch',
    );
    expect(outcome.summary).toBe('Delivered to client2. Sent has no copy of it.');
    expect(outcome.copyProblem).toBe(copyProblemText(problem));
    expect(outcome.hasDetails).toBe(true);
    expect(sendOutcome(sent({ sentCopyProblem: problem }), 'x').hasDetails).toBe(true);
  });

  it('keeps the newest reports by Sent id, and reads back only what is shaped as one', () => {
    let reports = withReport({}, '20260101-000000-000001-aa', [unknown('ghost')], 2);
    reports = withReport(reports, '20260102-000000-000001-bb', [delivered('a')], 2);
    reports = withReport(reports, '20251231-000000-000001-cc', [delivered('b')], 2);
    expect(Object.keys(reports).sort()).toEqual([
      '20260101-000000-000001-aa',
      '20260102-000000-000001-bb',
    ]);
    expect(missedCount(reports['20260101-000000-000001-aa'])).toBe(1);
    expect(missedCount(undefined)).toBe(0);
    expect(parseReports(JSON.parse(JSON.stringify(reports)))).toEqual(reports);
    expect(
      parseReports({ a: [{ name: 'x', status: 'lost', reason: '' }], b: 'text', c: [full('y')] }),
    ).toEqual({ c: [full('y')] });
    expect(parseReports([1, 2])).toEqual({});
    expect(parseReports(null)).toEqual({});
  });
});

describe('web UI sealed sends', () => {
  const key = (name: string) => ({ name, fingerprint: `SHA256:${name.padEnd(43, 'A')}` });

  it('says who can read a sealed email, the sender as "you"', () => {
    const outcome = sendOutcome(
      sent({
        recipients: ['client2', 'client3'],
        delivery: {
          accepted: true,
          reason: '',
          recipients: [delivered('client2'), delivered('client3')],
        },
        sealed: {
          readers: [key('client2'), key('client3'), key('client1')],
          fromServer: [],
          withoutKey: [],
        },
      }),
      'Lunch',
      'client1',
    );
    expect(outcome.summary).toBe(
      'Delivered to client2, client3. Sealed: only client2, client3 and you can read it.',
    );
    expect(outcome.sealed?.readers).toHaveLength(3);
    expect(outcome.hasDetails).toBe(false);
  });

  it('points to Details for keys from the server and names recipients without a key, before the Sent copy', () => {
    const outcome = sendOutcome(
      sent({
        sentCopyProblem: 'no copy was kept: the folder is a link',
        delivery: {
          accepted: true,
          reason: '',
          recipients: [delivered('client2'), unknown('ghost')],
        },
        sealed: {
          readers: [key('client2'), key('client1')],
          fromServer: [key('client2')],
          withoutKey: ['ghost'],
        },
      }),
      'Lunch',
      'client1',
    );
    expect(outcome.summary).toBe(
      'Delivered to client2. Not delivered: ghost (no such user on the server). Sealed: only client2 and you can read it. ghost has no key and cannot read it. The key of client2 came from the server: compare it (Details). Sent has no copy of it.',
    );
    expect(outcome.hasDetails).toBe(true);
  });

  it('says nothing of sealing when the server refused the email as a whole', () => {
    const outcome = sendOutcome(
      sent({
        delivery: { accepted: false, reason: 'too many recipients', recipients: [] },
        sealed: { readers: [key('client1')], fromServer: [], withoutKey: [] },
      }),
      'Lunch',
      'client1',
    );
    expect(outcome.summary).toBe(
      'The server refused the email: too many recipients. It was delivered to no one.',
    );
    expect(outcome.sealed).toBeUndefined();
  });
});
