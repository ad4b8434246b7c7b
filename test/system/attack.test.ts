/**
 * Every attack of scripts/attack against both protocols, with a real server (dist/), a real
 * client and the attacker's proxy on loopback: each succeeds against the classic protocol and
 * fails against the enhanced one. The assertions look at what the attacker got and at what
 * the server stored on disk.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { guessPasswords, wordList } from '../../scripts/attack/guessing.js';
import { suppressEmail } from '../../scripts/attack/suppression.js';
import {
  FAKE_EMAIL,
  impersonateServer,
  SECRET_EMAIL as SALARIES,
} from '../../scripts/attack/impersonation.js';
import { Lab, removeKeyTemplate, type Protocol } from '../../scripts/attack/lab.js';
import { ACTUAL, observePatterns } from '../../scripts/attack/patterns.js';
import { REPLAYED_EMAIL, REPLAYS, replayWithinSession } from '../../scripts/attack/replay.js';
import {
  cutAndPaste,
  HARMLESS_EMAIL,
  SECRET_EMAIL as MERGER,
} from '../../scripts/attack/splice.js';
import { LOGIN_REJECTED } from '../../protocol/texts.js';

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

const copiesOf = (lab: Lab, user: string, content: string): number =>
  lab.inbox(user).filter((file) => file.text.includes(content)).length;

describe('server impersonation', () => {
  it('classic: the fake server reads the email and feeds the client a fake inbox', async () => {
    const result = await impersonateServer(await startLab('classic'));
    expect(result.captured).toHaveLength(1);
    expect(result.captured[0]).toContain(SALARIES.content);
    expect(result.victimInbox).toContain(FAKE_EMAIL.title);
    expect(result.victimEmail).toContain(FAKE_EMAIL.content);
    expect(result.succeeded).toBe(true);
  });

  it('enhanced: the client refuses the impostor at the handshake and sends nothing', async () => {
    const result = await impersonateServer(await startLab('enhanced'));
    expect(result.captured).toEqual([]);
    expect(result.victimError).toMatch(/^HANDSHAKE_FAILED/);
    expect(result.relayError).toMatch(/^HANDSHAKE_FAILED/);
    expect(result.victimInbox).toBeUndefined();
    expect(result.succeeded).toBe(false);
  });
});

describe('replay within a session', () => {
  it('classic: each replayed frame pair stores the email again', async () => {
    const current = await startLab('classic');
    const result = await replayWithinSession(current);
    expect(result.acceptedReplays).toBe(REPLAYS);
    expect(copiesOf(current, 'client2', REPLAYED_EMAIL.content)).toBe(1 + REPLAYS);
    expect(result.succeeded).toBe(true);
  });

  it('enhanced: the first replayed record ends the session; only the original is stored', async () => {
    const current = await startLab('enhanced');
    const result = await replayWithinSession(current);
    expect(result.acceptedReplays).toBe(0);
    expect(copiesOf(current, 'client2', REPLAYED_EMAIL.content)).toBe(1);
    // Nor does the recorded session replayed on a new connection: it has new keys.
    expect(result.laterCopies).toBe(0);
    expect(
      current.serverLines().some((line) => line.includes('record 4 failed authentication')),
    ).toBe(true);
    expect(
      current.serverLines().filter((line) => line.startsWith('An email from client1')),
    ).toHaveLength(1);
    expect(result.succeeded).toBe(false);
  });
});

describe('ECB block cut-and-paste', () => {
  it('classic: the spliced email is accepted and the secret goes to the accomplice', async () => {
    const current = await startLab('classic');
    const result = await cutAndPaste(current);
    const altered = current.inbox('client3').find((file) => file.text.includes(MERGER.content));
    expect(altered?.text).toMatch(/^From: client1\nTo: client3\n.*\nTitle: Merger\n/);
    expect(copiesOf(current, 'client2', MERGER.content)).toBe(0);
    expect(result.succeeded).toBe(true);
  });

  it('enhanced: the altered record fails authentication and the secret is stored nowhere', async () => {
    const current = await startLab('enhanced');
    const result = await cutAndPaste(current);
    expect(copiesOf(current, 'client3', HARMLESS_EMAIL.content)).toBe(1);
    expect(copiesOf(current, 'client3', MERGER.content)).toBe(0);
    expect(copiesOf(current, 'client2', MERGER.content)).toBe(0);
    expect(result.victimError).toBeDefined();
    expect(current.serverLines().some((line) => line.includes('failed authentication'))).toBe(true);
    expect(result.succeeded).toBe(false);
  });
});

describe('pattern leakage to a passive observer', () => {
  it('classic: equal ciphertext gives away every operation and the repeated content', async () => {
    const result = await observePatterns(await startLab('classic'));
    expect(result.inferred).toEqual(ACTUAL);
    expect(result.repeatedFrames).toBeGreaterThan(0);
    expect(result.repeatedBlocks).toBeGreaterThan(0);
  });

  it('enhanced: no two records or blocks are equal and the operations cannot be told apart', async () => {
    const result = await observePatterns(await startLab('enhanced'));
    expect(result.repeatedFrames).toBe(0);
    expect(result.repeatedBlocks).toBe(0);
    expect(result.inferred).not.toEqual(ACTUAL);
    expect(result.succeeded).toBe(false);
  });
});

describe('online password guessing', () => {
  it('classic: the login throttle keeps a word list from finding the password, on the unchanged wire', async () => {
    const result = await guessPasswords(await startLab('classic'));
    expect(result.found).toBeUndefined();
    expect(result.attempts).toBe(wordList().length);
    // A throttled guess gets the ordinary refusal: the classic wire is the specification's.
    expect(result.distinctAnswers).toEqual([LOGIN_REJECTED]);
    expect(result.throttled).toBeGreaterThan(0);
  });

  it('enhanced: even with the stolen private key, the lock keeps the right guess from being tried', async () => {
    const result = await guessPasswords(await startLab('enhanced'));
    expect(result.found).toBeUndefined();
    expect(result.attempts).toBe(wordList().length);
    expect(result.distinctAnswers).toEqual([LOGIN_REJECTED]);
    expect(result.throttled).toBeGreaterThan(0);
  });
});

describe('suppression of a sent email', () => {
  it('classic: the victim believes the email was sent; nothing arrived', async () => {
    const result = await suppressEmail(await startLab('classic'));
    expect(result.victimBelievesSent).toBe(true);
    expect(result.storedCopies).toBe(0);
    expect(result.succeeded).toBe(true);
  });

  it('enhanced: the replayed frame fails authentication and the victim is told', async () => {
    const result = await suppressEmail(await startLab('enhanced'));
    expect(result.victimBelievesSent).toBe(false);
    expect(result.victimError).toMatch(/RECORD_AUTH_FAILED/);
    expect(result.succeeded).toBe(false);
  });
});
