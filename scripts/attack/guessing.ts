/**
 * Attack 5, online password guessing. The classic login needs nothing but the server's public
 * key, which anyone has: a word list is tried at the speed of the network, and the classic
 * protocol says clearly whether each guess was right. Both servers throttle logins
 * (mail-server/throttle/rules.ts): after three failures the user is locked for 1 s, 2 s, 4 s, ...,
 * a throttled guess gets the ordinary refusal, and the right guess comes while the user is
 * locked. Against the enhanced server the attacker is also given the victim's private key (a
 * stolen laptop), the strongest position short of knowing the password.
 */
import { generateRsaKeyPair } from '../../protocol/crypto.js';
import { encryptLogin } from '../../protocol/classic/login.js';
import { isProtocolError } from '../../protocol/errors.js';
import { FramedSocket } from '../../protocol/framing.js';
import { LOGIN_REJECTED } from '../../protocol/texts.js';
import { connectTcp } from '../../gateway/protocol-client/connect.js';
import { loadClientKeys } from '../../gateway/protocol-client/keys.js';
import { clientEnhancedLogin } from '../../protocol/enhanced/login.js';
import type { ClientKeys } from '../../protocol/login.js';
import { parsePrivateKey } from '../../protocol/crypto.js';
import { passwordOf, type Lab } from './lab.js';
import { type AttackReport } from './report.js';

export const VICTIM = 'client2';
/** A word list with the right password near its end, as a real list would have it somewhere. */
export function wordList(): string[] {
  const common = [
    '123456',
    'password',
    'qwerty',
    'letmein',
    'welcome',
    'admin',
    'monkey',
    'dragon',
    'sunshine',
    'iloveyou',
  ];
  const guesses = [...common, ...Array.from({ length: 15 }, (_, i) => `password${i + 10}`)];
  guesses.splice(24, 0, passwordOf(VICTIM));
  return guesses;
}

export interface GuessingResult extends AttackReport {
  attempts: number;
  /** The password, when a guess was accepted. */
  found: string | undefined;
  /** Distinct answers the attacker got to wrong guesses. */
  distinctAnswers: string[];
  /** Attempts the server refused without a fair check (from the server's own log). */
  throttled: number;
}

/** One classic attempt: the login is RSA-OAEP under the server's public key, which anyone has. */
async function classicAttempt(
  port: number,
  keys: ClientKeys,
  password: string,
): Promise<{ accepted: boolean; answer: string }> {
  const framed = new FramedSocket(await connectTcp({ host: '127.0.0.1', port }));
  try {
    await framed.write(encryptLogin(keys.serverPublicKey, { username: VICTIM, password }));
    const reply = await framed.read();
    const rejected = reply.equals(Buffer.from(LOGIN_REJECTED));
    return {
      accepted: !rejected,
      answer: rejected ? LOGIN_REJECTED : `${reply.length}-byte session key`,
    };
  } finally {
    framed.destroy();
  }
}

async function enhancedAttempt(
  port: number,
  keys: ClientKeys,
  password: string,
): Promise<{ accepted: boolean; answer: string }> {
  const framed = new FramedSocket(await connectTcp({ host: '127.0.0.1', port }));
  try {
    const channel = await clientEnhancedLogin(framed, { username: VICTIM, password }, keys);
    channel.destroy();
    return { accepted: true, answer: 'accepted' };
  } catch (error) {
    if (isProtocolError(error, 'LOGIN_REJECTED')) return { accepted: false, answer: error.message };
    throw error;
  } finally {
    framed.destroy();
  }
}

export async function guessPasswords(lab: Lab): Promise<GuessingResult> {
  // The strongest position short of knowing the password: the victim's key, already unlocked.
  const keys = loadClientKeys(lab.keysOf(VICTIM), VICTIM, { passphrase: passwordOf(VICTIM) });
  const lines = [
    `The attacker tries a word list of ${wordList().length} passwords for ${VICTIM} (${lab.protocol} protocol).`,
  ];
  const tryOne = lab.protocol === 'classic' ? classicAttempt : enhancedAttempt;
  if (lab.protocol === 'enhanced') {
    // Without the victim's private key even the right password is refused: show that first.
    const forged = parsePrivateKey((await generateRsaKeyPair()).privatePem);
    const withoutKey = await enhancedAttempt(
      lab.port,
      { ...keys, privateKey: () => forged },
      passwordOf(VICTIM),
    );
    lines.push(
      `With the RIGHT password but without ${VICTIM}'s private key: ${withoutKey.accepted ? 'accepted' : 'refused'}.`,
    );
    lines.push(`From here on the attacker uses ${VICTIM}'s stolen private key.`);
  }
  const answers = new Set<string>();
  let found: string | undefined;
  let attempts = 0;
  const started = performance.now();
  for (const guess of wordList()) {
    attempts++;
    const result = await tryOne(lab.port, keys, guess);
    if (result.accepted) {
      found = guess;
      break;
    }
    answers.add(result.answer);
  }
  const elapsed = performance.now() - started;
  const throttled = lab
    .serverLog()
    .filter((line) => line.includes('"msg":"login throttled"')).length;
  lines.push(
    `${attempts} attempts in ${(elapsed / 1000).toFixed(2)} s; answers to wrong guesses: ${[...answers].map((answer) => JSON.stringify(answer)).join(', ')}.`,
  );
  lines.push(
    `The server's log shows ${throttled} attempts refused under the lock (the attacker cannot tell which).`,
  );
  lines.push(
    found !== undefined
      ? `RESULT: attack succeeded: the password of ${VICTIM} is ${JSON.stringify(found)} (found at attempt ${attempts}).`
      : `RESULT: attack failed: no guess was accepted; the right password was in the list, but came while ${VICTIM} was locked.`,
  );
  return {
    attack: 'guessing',
    protocol: lab.protocol,
    succeeded: found !== undefined,
    lines,
    attempts,
    found,
    distinctAnswers: [...answers],
    throttled,
  };
}
