import { createPublicKey, type KeyObject } from 'node:crypto';
import type { MessageChannel } from '../protocol/channel.js';
import type { EnhancedChannel } from '../protocol/enhanced/channel.js';
import { keyFingerprint } from '../protocol/enhanced/fingerprint.js';
import { serverHandshake } from '../protocol/enhanced/handshake.js';
import { enhancedServerLines } from '../protocol/enhanced/lines.js';
import { decodeClientAuth } from '../protocol/enhanced/messages.js';
import { LOGIN_ACCEPTED } from '../protocol/enhanced/suite.js';
import { clientSignedContent, pssVerify } from '../protocol/enhanced/transcript.js';
import { isProtocolError } from '../protocol/errors.js';
import type { FramedSocket } from '../protocol/framing.js';
import { printable } from '../protocol/text.js';
import { LOGIN_REJECTED, serverLines } from '../protocol/texts.js';
import type { ServerHome, UserAccount } from './home.js';
import { announce, type Logger } from './log.js';
import type { LoggedIn } from './login.js';
import { verifyPassword } from './passwords.js';
import { parentThrottle, type ThrottleClient } from './throttle.js';

let throttle: ThrottleClient | undefined;
const standInKeys = new WeakMap<ServerHome, KeyObject>();

/** The address part of "address:port" (IPv6 addresses hold colons too). */
function addressOf(peer: string): string {
  const colon = peer.lastIndexOf(':');
  return colon > 0 ? peer.slice(0, colon) : peer;
}

/**
 * Checks the client's transcript signature and its password. Both checks always run, for an
 * unknown user against a stand-in key, so that the time taken tells nothing about which failed.
 */
function credentialsHold(
  home: ServerHome,
  account: UserAccount | undefined,
  content: Buffer,
  signature: Buffer,
  password: string,
): boolean {
  let standIn = standInKeys.get(home);
  if (!standIn) {
    standIn = createPublicKey(home.serverPrivateKey);
    standInKeys.set(home, standIn);
  }
  const signatureHolds = pssVerify(account?.publicKey ?? standIn, content, signature);
  const passwordHolds = verifyPassword(account?.password, password);
  return account !== undefined && signatureHolds && passwordHolds;
}

/**
 * A channel that prints, beside the classic lines, how the session's records went: the count
 * of authenticated records at the end, or the record that failed authentication.
 */
class AnnouncedChannel implements MessageChannel {
  readonly #inner: EnhancedChannel;
  readonly #user: string;

  constructor(inner: EnhancedChannel, user: string) {
    this.#inner = inner;
    this.#user = user;
  }

  get records(): { sent: number; received: number } {
    return this.#inner.records;
  }

  send(text: string): Promise<void> {
    return this.#inner.send(text);
  }

  async receive(): Promise<string> {
    try {
      return await this.#inner.receive();
    } catch (error) {
      if (isProtocolError(error, 'RECORD_AUTH_FAILED'))
        announce(enhancedServerLines.recordFailed(this.#user, error.message));
      throw error;
    }
  }

  async close(): Promise<void> {
    const { sent, received } = this.#inner.records;
    // The close record about to go out is authenticated too.
    announce(enhancedServerLines.records(this.#user, received, sent + 1));
    await this.#inner.close();
  }

  destroy(): void {
    this.#inner.destroy();
  }
}

/**
 * The server's side of the enhanced login: the signed handshake, then the client's credentials
 * inside the first record (its username, its password and its signature over the transcript),
 * checked under the throttle. Every refusal gets the same answer.
 */
export async function acceptEnhancedLogin(
  framed: FramedSocket,
  home: ServerHome,
  log: Logger,
  peer: string,
): Promise<LoggedIn | undefined> {
  let handshake;
  try {
    handshake = await serverHandshake(framed, home.serverPrivateKey);
  } catch (error) {
    // A classic client, a scanner, a garbled hello: say so beside the spec's lines, then end.
    if (isProtocolError(error, 'HANDSHAKE_FAILED')) {
      announce(enhancedServerLines.handshakeFailed(peer, error.message));
    }
    throw error;
  }
  const { channel, transcriptHash } = handshake;
  announce(enhancedServerLines.handshake(peer));
  let auth;
  try {
    auth = decodeClientAuth(await channel.receiveBytes());
  } catch (error) {
    // A record from another session (a replay) or a garbled one never reaches the password check.
    if (
      isProtocolError(error, 'RECORD_AUTH_FAILED') ||
      isProtocolError(error, 'HANDSHAKE_FAILED')
    ) {
      announce(enhancedServerLines.handshakeFailed(peer, error.message));
    }
    throw error;
  }
  const address = addressOf(peer);
  throttle ??= parentThrottle();
  // Asked first and awaited after the checks, so the parent's answer arrives while we verify.
  const verdict = throttle.attempt(auth.username, address);
  const account = home.users.get(auth.username);
  const content = clientSignedContent(transcriptHash, auth.username);
  const holds = credentialsHold(home, account, content, auth.signature, auth.password);
  const allowed = await verdict;
  // Wrong credentials count, whether or not the user was locked; right ones refused under a
  // lock do not.
  if (!account || !holds) throttle.failed(auth.username, address);
  if (!account || !holds || !allowed) {
    log.info(
      { peer, user: auth.username.slice(0, 64), throttled: !allowed },
      'enhanced login refused',
    );
    await channel.send(LOGIN_REJECTED).catch(() => undefined);
    await channel.close();
    announce(serverLines.invalid(printable(auth.username)));
    return undefined;
  }
  throttle.succeeded(account.name, address);
  await channel.send(LOGIN_ACCEPTED);
  announce(enhancedServerLines.clientVerified(account.name, keyFingerprint(account.publicKey)));
  announce(serverLines.accepted(account.name));
  return { user: account, channel: new AnnouncedChannel(channel, account.name) };
}
