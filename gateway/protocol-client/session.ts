import { channels, type ChannelKind } from '../../protocol/channels.js';
import { FramedSocket } from '../../protocol/framing.js';
import type { ClientKeys, LoginCredentials } from '../../protocol/login.js';
import { connectTcp } from './connect.js';
import { MailClient } from './mail-client.js';

export interface OpenSessionOptions {
  host: string;
  port: number;
  credentials: LoginCredentials;
  keys: ClientKeys;
  channel?: ChannelKind;
  connectTimeoutMs?: number;
  /** How long to wait for any one answer of the server; 0 waits for ever. */
  replyTimeoutMs?: number;
  /** On the enhanced channel: the highest session version to offer (default: the latest). */
  version?: number;
}

/** Connects, logs in over the chosen channel kind and waits for the menu. */
export async function openSession(options: OpenSessionOptions): Promise<MailClient> {
  const socket = await connectTcp({
    host: options.host,
    port: options.port,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  const framed = new FramedSocket(socket, { idleTimeoutMs: options.replyTimeoutMs ?? 0 });
  try {
    const login = channels[options.channel ?? 'classic'].clientLogin;
    const channel = await login(framed, options.credentials, options.keys, {
      version: options.version,
    });
    return await MailClient.start(channel, options.credentials.username);
  } catch (error) {
    framed.destroy();
    throw error;
  }
}
