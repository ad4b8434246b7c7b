/**
 * Sealed mail's figures: sealing and opening a 1,000,000-character email for 1 and 10
 * recipients in this process, and the send and read latency of sealed against plain emails
 * over the enhanced protocol, against a real server on loopback.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { Keyring } from '../../gateway/protocol-client/keyring.js';
import { keyringFolder, loadClientKeys } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { SealedMail } from '../../gateway/protocol-client/sealed-mail.js';
import { openSession } from '../../gateway/protocol-client/session.js';
import { keyDigest } from '../../protocol/enhanced/fingerprint.js';
import { armour, unarmour } from '../../protocol/sealed/armour.js';
import { decodeSealedEmail } from '../../protocol/sealed/format.js';
import { openSealedEmail } from '../../protocol/sealed/open.js';
import { sealEmail } from '../../protocol/sealed/seal.js';
import { spawnMailServer } from '../lib/server-process.js';
import { MILLION } from './protocol.js';
import { percentile, timeEach } from './stats.js';

export interface SealedFigures {
  seal_1M_chars_1_recipient_p50_ms: number;
  open_1M_chars_1_recipient_p50_ms: number;
  seal_1M_chars_10_recipients_p50_ms: number;
  open_1M_chars_10_recipients_p50_ms: number;
  send_plain_1M_chars_p50_ms: number;
  send_sealed_1M_chars_p50_ms: number;
  send_sealed_ratio_to_plain: number;
  read_plain_1M_chars_p50_ms: number;
  read_sealed_1M_chars_p50_ms: number;
  read_sealed_ratio_to_plain: number;
}

const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

interface Pair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/** Seals for `readers` recipients, then opens from the stored armour as the first of them. */
async function sealAndOpen(
  sender: Pair,
  readers: Pair[],
  rounds: number,
): Promise<{ seal: number; open: number }> {
  const names = readers.map((_, i) => `reader${i + 1}`);
  const seal = (): Buffer =>
    sealEmail({
      sender: 'sender',
      senderPrivateKey: sender.privateKey,
      title: 'A million characters',
      content: MILLION,
      recipients: names,
      readers: readers.map((pair, i) => ({ name: names[i] ?? '', publicKey: pair.publicKey })),
    });
  const seals = await timeEach(rounds, () => Promise.resolve(seal()));
  const stored = armour(seal());
  const first = readers[0];
  if (!first) throw new Error('no reader');
  const reader = {
    name: 'reader1',
    privateKey: first.privateKey,
    keyDigest: keyDigest(first.publicKey),
  };
  const opens = await timeEach(rounds, () => {
    const outcome = openSealedEmail(decodeSealedEmail(unarmour(stored)), reader, sender.publicKey);
    if (!('content' in outcome) || outcome.content.length !== MILLION.length)
      throw new Error('the sealed email did not open whole');
    return Promise.resolve();
  });
  return { seal: percentile(seals, 50), open: percentile(opens, 50) };
}

/** A user of the key setup on the enhanced protocol, with their keyring. */
async function signIn(dir: string, port: number, user: string) {
  const keys = loadClientKeys(join(dir, user), user, { passphrase: `password${user.slice(-1)}` });
  const client: MailClient = await openSession({
    host: '127.0.0.1',
    port,
    channel: 'enhanced',
    credentials: { username: user, password: `password${user.slice(-1)}` },
    keys,
  });
  const sealed = new SealedMail(
    client,
    keys.privateKey(),
    new Keyring(keyringFolder(join(dir, user), user)),
  );
  return { client, sealed };
}

/**
 * `dir` is a key setup (writeKeySetup). Sends and reads alternate plain and sealed, so that
 * both see the same machine load.
 */
export async function benchSealed(dir: string, rounds = 20): Promise<SealedFigures> {
  const pair = (): Pair => generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sender = pair();
  const readers = Array.from({ length: 10 }, pair);
  const one = await sealAndOpen(sender, readers.slice(0, 1), rounds);
  const ten = await sealAndOpen(sender, readers, rounds);

  const server = await spawnMailServer({
    home: join(dir, 'server'),
    enhanced: true,
    args: ['--spare', '4'],
  });
  try {
    const from = await signIn(dir, server.port, 'client2');
    const to = await signIn(dir, server.port, 'client3');
    const draft = (title: string) => ({ to: ['client3'], title, content: MILLION });
    // Warm-up: keys pinned, lazy loading paid.
    await from.sealed.send(draft('warm-up sealed'));
    await from.client.send(draft('warm-up plain'));
    const plainSends: number[] = [];
    const sealedSends: number[] = [];
    for (let i = 0; i < rounds; i++) {
      plainSends.push(...(await timeEach(1, () => from.client.send(draft(`plain ${i}`)))));
      sealedSends.push(...(await timeEach(1, () => from.sealed.send(draft(`sealed ${i}`)))));
    }
    const { rows } = await to.client.listInbox();
    const idOf = (title: string): string => {
      const id = rows.find((row) => row.title === title)?.id;
      if (id === undefined) throw new Error(`no ${title}`);
      return id;
    };
    const plainReads: number[] = [];
    const sealedReads: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const plain = await timeEach(1, async () => {
        const result = await to.client.read({ id: idOf(`plain ${i}`) });
        if (result.kind !== 'email' || result.email?.contentLength !== 1_000_000)
          throw new Error('the plain email did not come back whole');
      });
      const sealed = await timeEach(1, async () => {
        const result = await to.client.read({ id: idOf(`sealed ${i}`) });
        const opened =
          result.kind === 'email' && result.email && (await to.sealed.open(result.email));
        if (!opened || !opened.verified || opened.contentLength !== 1_000_000)
          throw new Error('the sealed email did not open whole');
      });
      plainReads.push(...plain);
      sealedReads.push(...sealed);
    }
    await Promise.all([from.client.terminate(), to.client.terminate()]);
    const sendPlain = percentile(plainSends, 50);
    const sendSealed = percentile(sealedSends, 50);
    const readPlain = percentile(plainReads, 50);
    const readSealed = percentile(sealedReads, 50);
    return {
      seal_1M_chars_1_recipient_p50_ms: one.seal,
      open_1M_chars_1_recipient_p50_ms: one.open,
      seal_1M_chars_10_recipients_p50_ms: ten.seal,
      open_1M_chars_10_recipients_p50_ms: ten.open,
      send_plain_1M_chars_p50_ms: sendPlain,
      send_sealed_1M_chars_p50_ms: sendSealed,
      send_sealed_ratio_to_plain: ratio(sendSealed, sendPlain),
      read_plain_1M_chars_p50_ms: readPlain,
      read_sealed_1M_chars_p50_ms: readSealed,
      read_sealed_ratio_to_plain: ratio(readSealed, readPlain),
    };
  } finally {
    await server.stop();
  }
}
