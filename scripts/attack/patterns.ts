/**
 * Attack 4, pattern leakage, by a passive observer. ECB maps equal plaintext blocks under one
 * key to equal ciphertext blocks: the same menu choice is the same 16 bytes every time, and a
 * content that repeats shows as repeated blocks. Knowing the protocol's shape (the first
 * encrypted client frame is "OK"; "OK" follows an inbox listing; an email is longer than a
 * choice), the observer reconstructs what the user did without any key.
 */
import type { Lab } from './lab.js';
import { startProxy, type Relay } from './proxy.js';
import { attempt, type AttackReport } from './report.js';

export type Operation = 'send' | 'inbox' | 'view' | 'terminate' | 'unknown';

export const USER = 'client1';
/** 16 characters: repeated, it fills whole ECB blocks whatever the alignment. */
const REPEATED = 'ATTACK AT DAWN! ';
export const PATTERN_EMAIL = { to: ['client2'], title: 'Plan', content: REPEATED.repeat(8) };
/** What the victim does, in order. */
export const ACTUAL: readonly Operation[] = ['inbox', 'send', 'inbox', 'view', 'send', 'terminate'];

const BLOCK = 16;
/** Client frames of the login: the classic login blob and "OK", or the enhanced hello and credentials. */
const LOGIN_FRAMES = 2;

export interface PatternResult extends AttackReport {
  /** The operations the observer inferred, in order. */
  inferred: Operation[];
  /** Client frames that were byte-for-byte equal to an earlier one. */
  repeatedFrames: number;
  /** 16-byte ciphertext blocks that occur more than once in one client frame. */
  repeatedBlocks: number;
}

function repeatedBlocksIn(frame: Buffer): number {
  const seen = new Set<string>();
  let repeats = 0;
  for (let at = 0; at + BLOCK <= frame.length; at += BLOCK) {
    const block = frame.subarray(at, at + BLOCK).toString('hex');
    if (seen.has(block)) repeats++;
    else seen.add(block);
  }
  return repeats;
}

/**
 * The observer's inference, from the client's frames only. The frame after a choice says what
 * the choice was: the known "OK" ciphertext follows an inbox listing, a long frame is an email,
 * a short one an index; no frame means the session ended.
 */
export function inferOperations(clientFrames: readonly Buffer[]): Operation[] {
  const okFrame = clientFrames[LOGIN_FRAMES - 1];
  const session = clientFrames.slice(LOGIN_FRAMES);
  const shortest = Math.min(...session.map((frame) => frame.length));
  const operations: Operation[] = [];
  for (let i = 0; i < session.length;) {
    const next = session[i + 1];
    if (!next) {
      operations.push('terminate');
      break;
    }
    if (okFrame && next.equals(okFrame)) operations.push('inbox');
    else if (next.length > shortest) operations.push('send');
    else operations.push('view');
    i += 2;
  }
  return operations;
}

export async function observePatterns(lab: Lab): Promise<PatternResult> {
  let relay: Relay | undefined;
  const proxy = await startProxy(
    lab.port,
    (frame) => Promise.resolve(frame),
    (started) => {
      relay = started;
    },
  );
  const session = await attempt(async () => {
    const client = await lab.signIn(USER, proxy.port);
    try {
      await client.listInbox();
      await client.send(PATTERN_EMAIL);
      await client.listInbox();
      await client.read(1);
      await client.send(PATTERN_EMAIL);
      await client.terminate();
    } finally {
      client.destroy();
    }
  });
  await proxy.finished;
  await proxy.close();
  const frames = relay?.clientFrames() ?? [];
  const sessionFrames = frames.slice(LOGIN_FRAMES);
  let repeatedFrames = 0;
  sessionFrames.forEach((frame, i) => {
    if (frames.slice(0, LOGIN_FRAMES + i).some((earlier) => earlier.equals(frame)))
      repeatedFrames++;
  });
  const repeatedBlocks = sessionFrames.reduce((sum, frame) => sum + repeatedBlocksIn(frame), 0);
  const inferred = inferOperations(frames);
  const succeeded = inferred.join() === ACTUAL.join() || repeatedBlocks > 0;
  const lines = [
    `A passive observer records ${USER}'s session (${lab.protocol} protocol) and holds no key.`,
    `Client frames after login (length in bytes): ${sessionFrames.map((frame) => frame.length).join(', ')}`,
    `Frames identical to an earlier one: ${repeatedFrames}; repeated 16-byte blocks inside frames: ${repeatedBlocks}.`,
    `Operations inferred: ${inferred.join(', ')}`,
    `Operations performed: ${ACTUAL.join(', ')}`,
  ];
  if (session.error !== undefined) lines.push(`The victim's client saw: ${session.error}`);
  lines.push(
    succeeded
      ? 'RESULT: attack succeeded: the observer learned which operations the user performed and that the email repeats itself.'
      : 'RESULT: attack failed: every record is fresh ciphertext (no equal records, no repeated blocks); records are padded to 256-byte steps. Record sizes still show roughly how long a long email is (see SECURITY.md).',
  );
  return {
    attack: 'patterns',
    protocol: lab.protocol,
    succeeded,
    lines,
    inferred,
    repeatedFrames,
    repeatedBlocks,
  };
}
