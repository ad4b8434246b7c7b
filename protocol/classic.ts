import type { KeyObject } from 'node:crypto';
import type { MessageChannel } from './channel.js';
import {
  aesEcbDecrypt,
  aesEcbEncrypt,
  maxOaepPlaintextBytes,
  rsaDecrypt,
  rsaEncrypt,
} from './crypto.js';
import { ProtocolError } from './errors.js';
import type { FramedSocket } from './framing.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';

/** The classic channel (E.4 onwards): each message is one frame of AES-256-ECB(UTF-8 text). */
export class ClassicChannel implements MessageChannel {
  readonly #framed: FramedSocket;
  readonly #key: Buffer;

  constructor(framed: FramedSocket, sessionKey: Buffer) {
    this.#framed = framed;
    this.#key = sessionKey;
  }

  send(text: string): Promise<void> {
    return this.#framed.write(aesEcbEncrypt(this.#key, encodeUtf8(text)));
  }

  async receive(): Promise<string> {
    const frame = await this.#framed.read();
    return decodeUtf8(aesEcbDecrypt(this.#key, frame));
  }

  close(): Promise<void> {
    return this.#framed.end();
  }

  destroy(): void {
    this.#framed.destroy();
  }
}

export interface LoginCredentials {
  username: string;
  password: string;
}

/** E.1: RSA-OAEP under the server's public key of UTF-8 `username + "\n" + password`. */
export function encryptLogin(serverPublicKey: KeyObject, credentials: LoginCredentials): Buffer {
  if (credentials.username.includes('\n')) {
    throw new ProtocolError('LOGIN_TOO_LONG', 'a username cannot contain a line break', {
      fatal: false,
    });
  }
  const plaintext = encodeUtf8(`${credentials.username}\n${credentials.password}`);
  const limit = maxOaepPlaintextBytes(serverPublicKey);
  if (plaintext.length > limit) {
    throw new ProtocolError(
      'LOGIN_TOO_LONG',
      `username and password take ${plaintext.length} bytes; the server's key holds at most ${limit}`,
      { fatal: false },
    );
  }
  return rsaEncrypt(serverPublicKey, plaintext);
}

/** The server's side of E.1; throws BAD_CIPHERTEXT or BAD_UTF8 for a blob that is not a login. */
export function decryptLogin(serverPrivateKey: KeyObject, blob: Buffer): LoginCredentials {
  const text = decodeUtf8(rsaDecrypt(serverPrivateKey, blob));
  const newline = text.indexOf('\n');
  if (newline < 0) return { username: text, password: '' };
  return { username: text.slice(0, newline), password: text.slice(newline + 1) };
}
