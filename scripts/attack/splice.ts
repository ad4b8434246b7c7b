/**
 * Attack 3, block cut-and-paste. ECB encrypts each 16-byte block alone, under one key for the
 * whole session: blocks can be moved between messages and the server cannot tell. The victim
 * sends a harmless email to client3 (the attacker's accomplice), then a confidential one to
 * client2; the attacker pastes the block holding "client3" over the block holding "client2"
 * in the second email, which is then delivered to the accomplice.
 */
import { formatEmail } from '../../protocol/email.js';
import type { Lab } from './lab.js';
import { startProxy } from './proxy.js';
import { attempt, quote, type AttackReport } from './report.js';

export const SENDER = 'client1';
export const ACCOMPLICE = 'client3';
export const INTENDED = 'client2';
export const HARMLESS_EMAIL = { to: [ACCOMPLICE], title: 'Lunch', content: 'Lunch on Friday?' };
export const SECRET_EMAIL = {
  to: [INTENDED],
  title: 'Merger',
  content: 'Confidential: the merger with Initech is signed Monday.',
};
/** Client frames by position: login (2 frames), "1", harmless email, "1", secret email. */
const HARMLESS_FRAME = 3;
const SECRET_FRAME = 5;
const BLOCK = 16;

/**
 * The ciphertext byte range that covers the "To:" value. The attacker knows the format and the
 * (public) usernames, so it can compute where a recipient's name falls; nothing secret is needed.
 */
export function recipientBlocks(sender: string, recipient: string): { start: number; end: number } {
  const text = formatEmail({ from: sender, to: [recipient], title: '', content: '' });
  const prefix = Buffer.byteLength(text.slice(0, text.indexOf('\nTo: ') + '\nTo: '.length));
  const start = Math.floor(prefix / BLOCK) * BLOCK;
  const end = Math.ceil((prefix + Buffer.byteLength(recipient)) / BLOCK) * BLOCK;
  return { start, end };
}

export interface SpliceResult extends AttackReport {
  /** Whether the secret email reached the accomplice, and whether the intended recipient got it. */
  secretAtAccomplice: boolean;
  secretAtIntended: boolean;
  /** The email as stored in the accomplice's inbox, when it was. */
  storedAltered: string | undefined;
  victimError: string | undefined;
}

export async function cutAndPaste(lab: Lab): Promise<SpliceResult> {
  const { start, end } = recipientBlocks(SENDER, INTENDED);
  let harmless: Buffer | undefined;
  const done = { spliced: false };
  const proxy = await startProxy(lab.port, (frame, index) => {
    if (index === HARMLESS_FRAME) harmless = frame;
    if (index === SECRET_FRAME && harmless && frame.length >= end) {
      const altered = Buffer.from(frame);
      harmless.copy(altered, start, start, end);
      done.spliced = true;
      return Promise.resolve(altered);
    }
    return Promise.resolve(frame);
  });
  const session = await attempt(async () => {
    const client = await lab.signIn(SENDER, proxy.port);
    try {
      await client.send(HARMLESS_EMAIL);
      await client.send(SECRET_EMAIL);
      await client.terminate();
    } finally {
      client.destroy();
    }
  });
  await proxy.finished;
  await proxy.close();
  if (lab.protocol === 'enhanced')
    await lab.waitForServerLine((line) => line.includes('failed authentication'), 2000);
  const storedAltered = lab
    .inbox(ACCOMPLICE)
    .find((file) => file.text.includes(SECRET_EMAIL.content))?.text;
  const secretAtIntended = lab
    .inbox(INTENDED)
    .some((file) => file.text.includes(SECRET_EMAIL.content));
  const succeeded = storedAltered !== undefined;
  const lines = [
    `The victim ${SENDER} sends ${quote(HARMLESS_EMAIL.title)} to ${ACCOMPLICE}, then ${quote(SECRET_EMAIL.title)} to ${INTENDED} (${lab.protocol} protocol).`,
    `The attacker ${done.spliced ? 'copied' : 'could not copy'} ciphertext bytes ${start}-${end - 1} (the recipient's name) of the first email over the second.`,
  ];
  const refusal = lab.serverLines().find((line) => line.includes('failed authentication'));
  if (refusal) lines.push(`Server: ${refusal}`);
  if (session.error !== undefined) lines.push(`The victim's client saw: ${session.error}`);
  if (storedAltered !== undefined)
    lines.push(`STORED in ${ACCOMPLICE}'s inbox: ${quote(storedAltered, 200)}`);
  lines.push(`${INTENDED} received the secret email: ${secretAtIntended ? 'yes' : 'no'}.`);
  lines.push(
    succeeded
      ? `RESULT: attack succeeded: the server accepted the altered email and delivered the secret to ${ACCOMPLICE}.`
      : 'RESULT: attack failed: the altered record failed authentication; the session ended and the secret was stored nowhere.',
  );
  return {
    attack: 'splice',
    protocol: lab.protocol,
    succeeded,
    lines,
    secretAtAccomplice: succeeded,
    secretAtIntended,
    storedAltered,
    victimError: session.error,
  };
}
