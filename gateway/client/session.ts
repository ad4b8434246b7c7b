import type { MessageChannel } from '../../protocol/channel.js';
import type { LoginCredentials } from '../../protocol/classic.js';
import { FramedSocket } from '../../protocol/framing.js';
import { classicLogin } from './classic-login.js';
import { connectTcp } from './connect.js';
import { enhancedLogin } from './enhanced-login.js';
import type { ClientKeys } from './keys.js';
import { MailClient } from './mail-client.js';

export type ChannelKind = 'classic' | 'enhanced';

/** The client's side of a login, per channel kind: resolves with the channel for the session layer. */
export type ClientLogin = (
  framed: FramedSocket,
  credentials: LoginCredentials,
  keys: ClientKeys,
) => Promise<MessageChannel>;

export const clientLogins: Readonly<Record<ChannelKind, ClientLogin | undefined>> = {
  classic: classicLogin,
  enhanced: enhancedLogin,
};

export interface OpenSessionOptions {
  host: string;
  port: number;
  credentials: LoginCredentials;
  keys: ClientKeys;
  channel?: ChannelKind;
  connectTimeoutMs?: number;
  /** How long to wait for any one answer of the server; 0 waits for ever. */
  replyTimeoutMs?: number;
}

/** Connects, logs in and waits for the menu. */
export async function openSession(options: OpenSessionOptions): Promise<MailClient> {
  const kind = options.channel ?? 'classic';
  const login = clientLogins[kind];
  if (!login) throw new Error(`the ${kind} protocol is not available`);
  const socket = await connectTcp({
    host: options.host,
    port: options.port,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  const framed = new FramedSocket(socket, { idleTimeoutMs: options.replyTimeoutMs ?? 0 });
  try {
    const channel = await login(framed, options.credentials, options.keys);
    return await MailClient.start(channel, options.credentials.username);
  } catch (error) {
    framed.destroy();
    throw error;
  }
}
