/**
 * Attack 2, replay within a session. Classic records are AES-ECB under one key, with no
 * sequence number: the attacker, holding no key, sends the client's encrypted "1" and email
 * frames again, and the server stores the email again each time.
 */
import { connectTcp } from '../../gateway/protocol-client/connect.js';
import { FramedSocket } from '../../protocol/framing.js';
import type { Lab } from './lab.js';
import { startProxy, type Relay } from './proxy.js';
import { attempt, quote, type AttackReport } from './report.js';

/** Client frames by position, the same in both protocols: login (2 frames), then the session. */
const CHOICE_FRAME = 2;
/**
 * The client frame that carries the email: right after the choice, but on the enhanced protocol
 * (session version 5 and later) a send id comes first (docs/PROTOCOL.md, section 14).
 */
const emailFrame = (protocol: string): number => CHOICE_FRAME + (protocol === 'enhanced' ? 2 : 1);
export const REPLAYS = 3;
export const SENDER = 'client1';
export const RECIPIENT = 'client2';
export const REPLAYED_EMAIL = {
  to: [RECIPIENT],
  title: 'Invoice 42',
  content: 'Please pay invoice 42: 100 dollars.',
};

export interface ReplayResult extends AttackReport {
  /** Replays the server accepted (answered as if they came from the client). */
  acceptedReplays: number;
  /** Copies of the email in the recipient's inbox. */
  storedCopies: number;
  /** Copies added by replaying the recorded session on a new connection afterwards. */
  laterCopies: number;
  victimError: string | undefined;
}

/**
 * The second try: replay the recorded start of the session (login, "1", the email) on a new
 * connection. Resolves once the server has ended that connection.
 */
async function replayOnNewConnection(port: number, frames: readonly Buffer[]): Promise<void> {
  const framed = new FramedSocket(await connectTcp({ host: '127.0.0.1', port }), {
    idleTimeoutMs: 5000,
  });
  try {
    for (const frame of frames) await framed.write(frame).catch(() => undefined);
    for (;;) await framed.read();
  } catch {
    // The server closed the connection (or went silent): the replay is over.
  } finally {
    framed.destroy();
  }
}

export async function replayWithinSession(lab: Lab): Promise<ReplayResult> {
  const captured: Buffer[] = [];
  const recorded: Buffer[] = [];
  let acceptedReplays = 0;
  let serverEnded: string | undefined;
  const EMAIL_FRAME = emailFrame(lab.protocol);
  const replayAll = async (relay: Relay): Promise<void> => {
    const [choice, ...email] = captured;
    if (!choice || email.length === 0) return;
    for (let i = 0; i < REPLAYS; i++) {
      try {
        await relay.inject(choice);
        await relay.takeServerFrame(); // "Send the email"
        for (const frame of email) await relay.inject(frame);
        await relay.takeServerFrame(); // the menu, once the copy is stored
        acceptedReplays++;
      } catch (error) {
        serverEnded = (error as Error).message;
        throw error;
      }
    }
  };
  const proxy = await startProxy(lab.port, async (frame, index, relay) => {
    if (index <= EMAIL_FRAME) recorded.push(frame);
    if (index >= CHOICE_FRAME && index <= EMAIL_FRAME) captured.push(frame);
    // The client's next choice waits while the attacker replays, so the client notices nothing.
    if (index === EMAIL_FRAME + 1) await replayAll(relay);
    return frame;
  });
  const session = await attempt(async () => {
    const client = await lab.signIn(SENDER, proxy.port);
    try {
      await client.send(REPLAYED_EMAIL);
      await client.listInbox();
      await client.terminate();
    } finally {
      client.destroy();
    }
  });
  await proxy.finished;
  await proxy.close();
  if (lab.protocol === 'enhanced')
    await lab.waitForServerLine((line) => line.includes('failed authentication'), 2000);
  const storedCopies = lab
    .inbox(RECIPIENT)
    .filter((file) => file.text.includes(REPLAYED_EMAIL.content)).length;
  const linesBefore = lab.serverLines().length;
  await replayOnNewConnection(lab.port, recorded);
  await lab.waitForServerLine(
    (line) => line.startsWith('Handshake with') && line.includes('failed'),
    1000,
  );
  const laterLines = lab.serverLines().slice(linesBefore);
  const laterCopies =
    lab.inbox(RECIPIENT).filter((file) => file.text.includes(REPLAYED_EMAIL.content)).length -
    storedCopies;
  const succeeded = storedCopies > 1 || laterCopies > 0;
  const lines = [
    `The victim ${SENDER} sends one email to ${RECIPIENT} through the attacker's proxy (${lab.protocol} protocol).`,
    `The attacker replays the encrypted "1" and email frames ${REPLAYS} times, without any key.`,
    `The server accepted ${acceptedReplays} of ${REPLAYS} replays.`,
  ];
  if (serverEnded !== undefined)
    lines.push(`The server ended the session at the first replay (${serverEnded}).`);
  const refusal = lab.serverLines().find((line) => line.includes('failed authentication'));
  if (refusal) lines.push(`Server: ${refusal}`);
  if (session.error !== undefined) lines.push(`The victim's client saw: ${session.error}`);
  lines.push(
    `${RECIPIENT}'s inbox holds ${storedCopies} cop${storedCopies === 1 ? 'y' : 'ies'} of ${quote(REPLAYED_EMAIL.title)}.`,
  );
  lines.push(
    `Then, on a new connection, the attacker replays the recorded login, "1" and email: ${laterCopies} more stored.`,
  );
  for (const line of laterLines) lines.push(`Server: ${line}`);
  if (laterLines.some((line) => line.startsWith('Connection Accepted'))) {
    lines.push(
      `(The server took the replayed login for ${SENDER}'s, with no freshness check; the rest failed only because it picked a new session key.)`,
    );
  }
  lines.push(
    succeeded
      ? `RESULT: attack succeeded: one email sent, ${storedCopies + laterCopies} stored.`
      : 'RESULT: attack failed: the replayed records were refused and nothing extra was stored.',
  );
  return {
    attack: 'replay',
    protocol: lab.protocol,
    succeeded,
    lines,
    acceptedReplays,
    storedCopies,
    laterCopies,
    victimError: session.error,
  };
}
