import type { LoginCredentials } from '../../protocol/classic.js';
import { FramedSocket } from '../../protocol/framing.js';
import { classicLogin } from './classic-login.js';
import { connectTcp } from './connect.js';
import type { ClientKeys } from './keys.js';
import { MailClient } from './mail-client.js';

export interface OpenSessionOptions {
  host: string;
  port: number;
  credentials: LoginCredentials;
  keys: ClientKeys;
  connectTimeoutMs?: number;
  /** How long to wait for any one answer of the server; 0 waits for ever. */
  replyTimeoutMs?: number;
}

/** Connects, logs in with the classic protocol and waits for the menu. */
export async function openClassicSession(options: OpenSessionOptions): Promise<MailClient> {
  const socket = await connectTcp({ host: options.host, port: options.port, connectTimeoutMs: options.connectTimeoutMs });
  const framed = new FramedSocket(socket, { idleTimeoutMs: options.replyTimeoutMs ?? 0 });
  try {
    const channel = await classicLogin(framed, options.credentials, options.keys);
    return await MailClient.start(channel, options.credentials.username);
  } catch (error) {
    framed.destroy();
    throw error;
  }
}
