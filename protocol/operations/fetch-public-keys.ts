/**
 * Fetching users' public keys (session version 3), for a client that seals to someone its
 * keyring has no key for, or checks the signature of someone it has none for. The client pins
 * what it gets on first use: the server is trusted for a key only once.
 *
 *   client -> server  key request: type (1) | count (u16) | count x name (u16 + UTF-8)
 *   server -> client  key answer:  type (1) | count (u16) |
 *                                  count x [ name (u16 + UTF-8) | key (u16 + DER SubjectPublicKeyInfo) ]
 *
 * The answer lists the names asked for, in the same order; an empty key means the server has
 * none (no such user).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { MAX_RECIPIENTS, MAX_USERNAME_CHARS } from '../limits.js';
import { message, receiveMessage, sendMessage } from './typed-channel.js';
import type { MenuOperation } from './types.js';

/** An RSA-8192 key's SubjectPublicKeyInfo takes about 1,060 bytes. */
const MAX_KEY_DER_BYTES = 2048;
const MAX_NAME_BYTES = MAX_USERNAME_CHARS * 4;
/** A name's length and a byte of it. */
const MIN_NAME_BYTES = 3;

export type PublicKeys = Map<string, KeyObject | undefined>;

function parseKey(der: Buffer, name: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (error) {
    throw new ProtocolError('UNEXPECTED_MESSAGE', `the key sent for ${name} is not a public key`, {
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new ProtocolError('UNEXPECTED_MESSAGE', `the key sent for ${name} is not an RSA key`);
  return key;
}

export const fetchPublicKeys: MenuOperation<readonly string[], PublicKeys> = {
  choice: '8',
  label: 'Fetch public keys',

  async client(channel, names) {
    const request = message('keyRequest').u16(names.length);
    for (const name of names) request.text(name);
    await sendMessage(channel, request);
    const reader = await receiveMessage(channel, 'keyAnswer');
    const count = reader.u16('count');
    if (count !== names.length)
      throw reader.fail(`${count} keys for the ${names.length} names asked for`);
    const keys: PublicKeys = new Map();
    for (const asked of names) {
      const name = reader.text('name', MAX_NAME_BYTES);
      if (name !== asked) throw reader.fail(`a key for "${name.slice(0, 64)}", not for ${asked}`);
      const der = reader.bytes('key', MAX_KEY_DER_BYTES);
      keys.set(name, der.length === 0 ? undefined : parseKey(der, name));
    }
    reader.end();
    return keys;
  },

  async server(channel, hooks) {
    const reader = await receiveMessage(channel, 'keyRequest');
    const count = reader.count('names', MIN_NAME_BYTES);
    if (count > MAX_RECIPIENTS)
      throw reader.fail(`${count} names; at most ${MAX_RECIPIENTS} may be asked for at once`);
    const names: string[] = [];
    for (let i = 0; i < count; i++) names.push(reader.text('name', MAX_NAME_BYTES));
    reader.end();
    const keys = hooks.onPublicKeys(names);
    const answer = message('keyAnswer').u16(names.length);
    names.forEach((name, i) => {
      const key = keys[i];
      answer.text(name).bytes(key ? key.export({ type: 'spki', format: 'der' }) : Buffer.alloc(0));
    });
    await sendMessage(channel, answer);
  },
};
