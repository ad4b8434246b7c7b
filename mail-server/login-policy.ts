/**
 * The mail server's policy for logins, on every channel kind: which accounts exist, how
 * credentials are checked (password, and the key proof where the channel has one), the login
 * throttle, and the lines printed. The exchanges themselves are the protocol's
 * (protocol/classic/login.ts, protocol/enhanced/login.ts).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyFingerprint } from '../protocol/enhanced/fingerprint.js';
import { enhancedServerLines } from '../protocol/enhanced/lines.js';
import type { LoginAttempt, ServerLoginPolicy } from '../protocol/login.js';
import { serverLines } from '../protocol/texts.js';
import type { ServerHome, UserAccount } from './home.js';
import { previousKeyInWindow } from './server-keys.js';
import type { Logger } from './log.js';
import { standInRecord, verifyPassword, type PasswordRecord } from './passwords.js';
import type { LoginThrottle } from './throttle/rules.js';

/** What every login of a server shares; made once per process. */
export interface LoginContext {
  home: ServerHome;
  throttle: LoginThrottle;
  log: Logger;
  /** Prints one of the specification's console lines. */
  announce: (line: string) => void;
  /** Checked for unknown users, so that an unknown name costs what a known one does. */
  standIn: { publicKey: KeyObject; password: PasswordRecord };
}

export function loginContext(
  home: ServerHome,
  throttle: LoginThrottle,
  log: Logger,
  announce: (line: string) => void,
): LoginContext {
  const standIn = {
    publicKey: createPublicKey(home.serverPrivateKey),
    password: standInRecord([...home.users.values()].map((user) => user.password)),
  };
  return { home, throttle, log, announce, standIn };
}

/** The address part of "address:port" (IPv6 addresses hold colons too). */
export function addressOf(peer: string): string {
  const colon = peer.lastIndexOf(':');
  return colon > 0 ? peer.slice(0, colon) : peer;
}

/** The policy for one connection's login; `onAccepted` hears of the account once it is announced. */
export function loginPolicy(
  context: LoginContext,
  peer: string,
  onAccepted?: (account: UserAccount) => void,
): ServerLoginPolicy<UserAccount> {
  const { home, throttle, log, announce, standIn } = context;
  let keyProven = false;
  return {
    serverPrivateKey: home.serverPrivateKey,
    previousServerKey: () => previousKeyInWindow(home.previousServerKey),

    async authenticate(attempt: LoginAttempt) {
      const address = addressOf(attempt.peer);
      const account = home.users.get(attempt.username);
      // Asked first and awaited after the checks, so the parent's answer arrives while we verify.
      // Whether the name is a user's decides where the throttle keeps its count: a flood of
      // made-up names must not push out what it knows about real users.
      const admission = throttle.admit(attempt.username, address, account !== undefined);
      // Every check always runs, against stand-ins for an unknown user: the time taken tells
      // nothing about which check failed.
      const keyHolds = attempt.provesKeyOf?.(account?.publicKey ?? standIn.publicKey) ?? true;
      const passwordHolds = verifyPassword(account?.password ?? standIn.password, attempt.password);
      const holds = account !== undefined && keyHolds && passwordHolds;
      const admitted = await admission;
      if (!admitted.allowed) {
        log.info(
          { peer, user: attempt.username.slice(0, 64), throttled: admitted.refusedBy },
          'login throttled',
        );
        return undefined;
      }
      admitted.settle(holds ? 'succeeded' : 'failed');
      if (!holds) {
        log.info({ peer, user: attempt.username.slice(0, 64) }, 'login refused');
        return undefined;
      }
      keyProven = attempt.provesKeyOf !== undefined;
      return account;
    },

    events: {
      handshake: () => {
        announce(enhancedServerLines.handshake(peer));
      },
      handshakeFailed: (reason) => {
        announce(enhancedServerLines.handshakeFailed(peer, reason));
      },
      undecryptable: (reason, bytes) => {
        log.warn({ peer, err: reason, bytes }, 'login blob could not be decrypted');
      },
      serverKeyHandedOver: (account) => {
        // Who still held the old key: the administrator sees the rotation's progress.
        log.info({ peer, user: account.name }, 'new server key handed over');
      },
      refused: (username) => {
        if (username !== undefined) announce(serverLines.invalid(username));
      },
      accepted: (account) => {
        if (keyProven)
          announce(
            enhancedServerLines.clientVerified(account.name, keyFingerprint(account.publicKey)),
          );
        announce(serverLines.accepted(account.name));
        onAccepted?.(account);
      },
    },
  };
}
