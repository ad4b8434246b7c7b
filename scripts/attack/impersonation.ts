/**
 * Attack 1, server impersonation. The classic client never authenticates the server: the
 * session key arrives encrypted under the client's *public* key, which anyone can do. The
 * attacker (on the client's path, or behind a spoofed name) answers the login with a key of its
 * own, reads every email the client sends and serves it a fake inbox.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicChannel } from '../../protocol/classic/channel.js';
import {
  generateRsaKeyPair,
  newSessionKey,
  parsePrivateKey,
  parsePublicKey,
  rsaEncrypt,
} from '../../protocol/crypto.js';
import {
  formatReceivedTime,
  formatStoredEmail,
  nowMicros,
  type Email,
} from '../../protocol/email.js';
import { serverHandshake } from '../../protocol/enhanced/handshake.js';
import { newEphemeralKey } from '../../protocol/enhanced/key-schedule.js';
import type { FramedSocket } from '../../protocol/framing.js';
import { formatInboxListing } from '../../protocol/inbox.js';
import { MENU } from '../../protocol/operations/menu.js';
import { listInbox } from '../../protocol/operations/list-inbox.js';
import { sendEmail } from '../../protocol/operations/send-email.js';
import { viewEmail } from '../../protocol/operations/view-email.js';
import { OK, REQUEST_EMAIL_INDEX, SEND_THE_EMAIL } from '../../protocol/texts.js';
import type { Lab } from './lab.js';
import { startFakeServer, startProxy } from './proxy.js';
import { attempt, quote, type AttackReport } from './report.js';

export const VICTIM = 'client1';
export const SECRET_EMAIL = {
  to: ['client2'],
  title: 'Salaries',
  content: 'Q3 salaries: Alice 98k, Bob 87k. Do not forward.',
};
/** What the fake server puts in the victim's inbox. */
export const FAKE_EMAIL: Email = {
  from: 'client2',
  to: [VICTIM],
  title: 'New bank details',
  content: 'Please pay all invoices to account 0000-6666 from now on.',
};

export interface ImpersonationResult extends AttackReport {
  /** Email plaintexts the attacker read. */
  captured: string[];
  /** What the victim was shown as its inbox and its first email, or the error that stopped it. */
  victimInbox: string | undefined;
  victimEmail: string | undefined;
  victimError: string | undefined;
  /** Enhanced only: what the client said when the attacker relayed to the real server with its own ephemeral key. */
  relayError: string | undefined;
}

/** Plays the classic server with a session key of the attacker's own choosing. */
async function fakeClassicServer(
  framed: FramedSocket,
  victimPublicPem: string,
  captured: string[],
): Promise<void> {
  await framed.read(); // the login, under the real server's key: unreadable, and not needed
  const sessionKey = newSessionKey();
  await framed.write(rsaEncrypt(parsePublicKey(victimPublicPem), sessionKey));
  const channel = new ClassicChannel(framed, sessionKey);
  if ((await channel.receive()) !== OK) return;
  for (;;) {
    await channel.send(MENU);
    const choice = (await channel.receive()).trim();
    if (choice === sendEmail.choice) {
      await channel.send(SEND_THE_EMAIL);
      captured.push(await channel.receive());
    } else if (choice === listInbox.choice) {
      const receivedAt = formatReceivedTime(nowMicros());
      await channel.send(
        formatInboxListing([
          { index: 1, from: FAKE_EMAIL.from, receivedAt, title: FAKE_EMAIL.title },
        ]),
      );
      await channel.receive();
    } else if (choice === viewEmail.choice) {
      await channel.send(REQUEST_EMAIL_INDEX);
      await channel.receive();
      await channel.send(formatStoredEmail(FAKE_EMAIL, formatReceivedTime(nowMicros())));
    } else {
      await channel.close();
      return;
    }
  }
}

/** Plays the enhanced server with the attacker's own RSA key: it cannot sign as the real server. */
async function fakeEnhancedServer(
  framed: FramedSocket,
  attackerPrivatePem: string,
  captured: string[],
): Promise<void> {
  const { channel } = await serverHandshake(framed, parsePrivateKey(attackerPrivatePem));
  // Only a client that accepted our signature would send its credentials and its emails.
  for (;;) captured.push((await channel.receiveBytes()).toString('utf8'));
}

/** Where the client's ephemeral key starts in a ClientHello (see messages.ts). */
const CLIENT_EPHEMERAL_AT = 34;

/**
 * The man in the middle's other try: relay to the real server, which signs, but with the
 * attacker's ephemeral key in place of the client's (so that the attacker could derive the keys).
 * The server's signature covers the ClientHello it received, not the one the client sent.
 */
async function relayWithSwappedKey(lab: Lab): Promise<string | undefined> {
  const proxy = await startProxy(lab.port, (frame, index) => {
    if (index !== 0) return Promise.resolve(frame);
    const swapped = Buffer.from(frame);
    newEphemeralKey().publicRaw.copy(swapped, CLIENT_EPHEMERAL_AT);
    return Promise.resolve(swapped);
  });
  const session = await attempt(async () => {
    const client = await lab.signIn(VICTIM, proxy.port);
    await client.terminate();
  });
  await proxy.finished;
  await proxy.close();
  return session.error;
}

export async function impersonateServer(lab: Lab): Promise<ImpersonationResult> {
  const captured: string[] = [];
  const victimPublicPem = readFileSync(join(lab.dir, 'server', `${VICTIM}_public.pem`), 'utf8');
  const attackerKey = lab.protocol === 'enhanced' ? (await generateRsaKeyPair()).privatePem : '';
  const fake = await startFakeServer((framed) =>
    lab.protocol === 'classic'
      ? fakeClassicServer(framed, victimPublicPem, captured)
      : fakeEnhancedServer(framed, attackerKey, captured),
  );
  let victimInbox: string | undefined;
  let victimEmail: string | undefined;
  const session = await attempt(async () => {
    const client = await lab.signIn(VICTIM, fake.port);
    try {
      await client.send(SECRET_EMAIL);
      victimInbox = (await client.listInbox()).text;
      victimEmail = (await client.read(1)).text;
      await client.terminate();
    } finally {
      client.destroy();
    }
  });
  await fake.finished;
  await fake.close();
  const relayError = lab.protocol === 'enhanced' ? await relayWithSwappedKey(lab) : undefined;

  const succeeded = captured.length > 0 || victimEmail !== undefined;
  const lines = [
    `The victim ${VICTIM} connects to the attacker's server instead of the real one (${lab.protocol} protocol).`,
  ];
  if (lab.protocol === 'classic') {
    lines.push(
      "The attacker sent its own AES key, encrypted under the victim's public key (a public file).",
    );
  } else {
    lines.push(
      'The attacker answered the handshake with its own RSA key: it does not hold server_private.pem.',
    );
  }
  for (const text of captured) lines.push(`CAPTURED email plaintext: ${quote(text, 200)}`);
  if (victimInbox !== undefined)
    lines.push(`The victim was shown a FAKE inbox: ${quote(victimInbox.trim())}`);
  if (victimEmail !== undefined)
    lines.push(`The victim read a FAKE email: ${quote(victimEmail, 200)}`);
  if (session.error !== undefined) lines.push(`The victim's client stopped: ${session.error}`);
  if (relayError !== undefined) {
    lines.push(
      "Second try: relay to the real server, swapping the client's ephemeral X25519 key for the attacker's.",
    );
    lines.push(`The victim's client stopped: ${relayError}`);
  }
  lines.push(
    succeeded
      ? "RESULT: attack succeeded: the attacker read the victim's email and fed it a fake inbox."
      : 'RESULT: attack failed: the client refused the impostor before sending anything secret.',
  );
  return {
    attack: 'impersonation',
    protocol: lab.protocol,
    succeeded,
    lines,
    captured,
    victimInbox,
    victimEmail,
    victimError: session.error,
    relayError,
  };
}
