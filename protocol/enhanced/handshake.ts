/**
 * The handshake, both sides. Two frames in clear, then records:
 *
 *   client -> server  ClientHello  (client random, client ephemeral X25519 key)
 *   server -> client  ServerHello  (server random, server ephemeral X25519 key,
 *                                   RSA-PSS signature by server_private.pem over the transcript)
 *   both              keys = HKDF(X25519 shared secret, SHA-256(ClientHello || ServerHello))
 *
 * The client checks the signature with the server_public.pem it already holds before it sends
 * anything secret, so an impersonator is found out at the second frame.
 *
 * From session version 6 the ClientHello also names (by SHA-256) the key the client holds.
 * While the server's key is being replaced, the server signs with the key being replaced when
 * that is the one named, so clients that hold it still verify; every other time it signs with
 * its current key.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import type { FramedSocket } from '../framing.js';
import { LOGIN_REJECTED } from '../texts.js';
import { EnhancedChannel } from './channel.js';
import type { PreviousServerKey } from '../login.js';
import { keyDigest, keyFingerprint } from './fingerprint.js';
import { deriveTrafficKeys, newEphemeralKey, sharedSecret } from './key-schedule.js';
import {
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
  encodeServerHelloUnsigned,
  type ClientHello,
} from './messages.js';
import { LATEST_VERSION, RANDOM_BYTES } from './suite.js';
import { pssSign, pssVerify, serverSignedContent, sha256 } from './transcript.js';

export interface HandshakeResult {
  channel: EnhancedChannel;
  /** SHA-256 of both hello frames: what the client signs, and the HKDF salt. */
  transcriptHash: Buffer;
}

export interface ServerHandshakeResult extends HandshakeResult {
  clientHello: ClientHello;
  /** Whether the ServerHello was signed by the key being replaced (the client holds that one). */
  signedByPrevious: boolean;
}

/**
 * The client's side, offering session versions up to `version`. Throws HANDSHAKE_FAILED when
 * the server cannot prove it holds the server's key, or chooses a version not offered.
 */
export async function clientHandshake(
  framed: FramedSocket,
  serverPublicKey: KeyObject,
  version: number = LATEST_VERSION,
): Promise<HandshakeResult> {
  const ephemeral = newEphemeralKey();
  const clientHello = encodeClientHello({
    version,
    random: randomBytes(RANDOM_BYTES),
    ephemeralPublic: ephemeral.publicRaw,
    heldServerKey: keyDigest(serverPublicKey),
  });
  await framed.write(clientHello);
  const serverHelloFrame = await framed.read();
  if (serverHelloFrame.equals(Buffer.from(LOGIN_REJECTED))) {
    // A classic server refuses our hello as a bad login; never fall back to the classic protocol.
    throw new ProtocolError(
      'HANDSHAKE_FAILED',
      'the server answered as a classic server; the enhanced protocol is not offered on this port',
    );
  }
  const serverHello = decodeServerHello(serverHelloFrame);
  const signed = serverSignedContent(clientHello, encodeServerHelloUnsigned(serverHello));
  if (!pssVerify(serverPublicKey, signed, serverHello.signature)) {
    throw new ProtocolError(
      'HANDSHAKE_FAILED',
      `the server's handshake signature does not verify with server_public.pem (${keyFingerprint(serverPublicKey)}): ` +
        'it is not the server it claims to be, or the handshake was altered',
    );
  }
  if (serverHello.version > version) {
    throw new ProtocolError(
      'HANDSHAKE_FAILED',
      `the server chose session version ${serverHello.version}, above the ${version} offered`,
    );
  }
  const transcriptHash = sha256(clientHello, serverHelloFrame);
  const keys = deriveTrafficKeys(
    sharedSecret(ephemeral, serverHello.ephemeralPublic),
    transcriptHash,
  );
  const channel = new EnhancedChannel(
    framed,
    { send: keys.clientToServer, receive: keys.serverToClient },
    serverHello.version,
    serverPublicKey,
  );
  return { channel, transcriptHash };
}

/** Whether the client named the key being replaced, still accepted now. */
function holdsPrevious(clientHello: ClientHello, previous: PreviousServerKey | undefined): boolean {
  if (!previous || !clientHello.heldServerKey) return false;
  return previous.publicKeyDigest.equals(clientHello.heldServerKey);
}

/**
 * The server's side: answers a ClientHello with a signed ServerHello, choosing the lower of
 * the client's version and `version`, and derives the keys. `previous`, while the server's key
 * is being replaced: the key before it, used for clients that name it.
 */
export async function serverHandshake(
  framed: FramedSocket,
  currentPrivateKey: KeyObject,
  version: number = LATEST_VERSION,
  previous?: PreviousServerKey,
): Promise<ServerHandshakeResult> {
  const clientHelloFrame = await framed.read();
  const clientHello = decodeClientHello(clientHelloFrame);
  const signedByPrevious = holdsPrevious(clientHello, previous);
  const serverPrivateKey = signedByPrevious && previous ? previous.privateKey : currentPrivateKey;
  const ephemeral = newEphemeralKey();
  const secret = sharedSecret(ephemeral, clientHello.ephemeralPublic);
  const unsigned = {
    version: Math.min(clientHello.version, version),
    random: randomBytes(RANDOM_BYTES),
    ephemeralPublic: ephemeral.publicRaw,
  };
  const signature = pssSign(
    serverPrivateKey,
    serverSignedContent(clientHelloFrame, encodeServerHelloUnsigned(unsigned)),
  );
  const serverHelloFrame = encodeServerHello({ ...unsigned, signature });
  await framed.write(serverHelloFrame);
  const transcriptHash = sha256(clientHelloFrame, serverHelloFrame);
  const keys = deriveTrafficKeys(secret, transcriptHash);
  const channel = new EnhancedChannel(
    framed,
    { send: keys.serverToClient, receive: keys.clientToServer },
    unsigned.version,
  );
  return { channel, transcriptHash, clientHello, signedByPrevious };
}
