import { channels, type ChannelKind } from '../../protocol/channels.js';
import { EnhancedChannel } from '../../protocol/enhanced/channel.js';
import { FramedSocket } from '../../protocol/framing.js';
import type { ClientKeys, LoginCredentials } from '../../protocol/login.js';
import { connectTcp } from './connect.js';
import type { LoadedClientKeys } from './keys.js';
import { MailClient } from './mail-client.js';
import { adoptServerKey, type ServerKeyAdopted } from './server-key-update.js';
import { parseServerList, tryInTurn, type ServerChoice } from './server-list.js';

export interface OpenSessionOptions {
  /**
   * The server's host; or several servers of one site, `HOST[:PORT],HOST[:PORT]`, tried in
   * turn until one answers (server-list.ts). A server without a port is on `port`.
   */
  host: string;
  port: number;
  credentials: LoginCredentials;
  /**
   * With `serverKeyFile` (keys.ts `loadClientKeys`), a new server key handed over during a key
   * rotation replaces that file; it replaces `serverPublicKey` either way.
   */
  keys: ClientKeys | LoadedClientKeys;
  channel?: ChannelKind;
  connectTimeoutMs?: number;
  /** How long to wait for any one answer of the server; 0 waits for ever. */
  replyTimeoutMs?: number;
  /** On the enhanced channel: the highest session version to offer (default: the latest). */
  version?: number;
  /** Told which server the session uses, when several were named. */
  onServer?: (choice: ServerChoice) => void;
}

/** Connects, logs in over the chosen channel kind and waits for the menu. */
export async function openSession(options: OpenSessionOptions): Promise<MailClient> {
  const servers = parseServerList(options.host, options.port);
  const { result, choice } = await tryInTurn(servers, (server) =>
    openSessionAt(server.host, server.port, options),
  );
  if (servers.length > 1) options.onServer?.(choice);
  return result;
}

async function openSessionAt(
  host: string,
  port: number,
  options: OpenSessionOptions,
): Promise<MailClient> {
  const socket = await connectTcp({ host, port, connectTimeoutMs: options.connectTimeoutMs });
  const framed = new FramedSocket(socket, { idleTimeoutMs: options.replyTimeoutMs ?? 0 });
  try {
    const login = channels[options.channel ?? 'classic'].clientLogin;
    const channel = await login(framed, options.credentials, options.keys, {
      version: options.version,
    });
    let adopted: ServerKeyAdopted | undefined;
    const update = channel instanceof EnhancedChannel ? channel.serverKeyUpdate : undefined;
    if (update) {
      const file = 'serverKeyFile' in options.keys ? options.keys.serverKeyFile : undefined;
      adopted = adoptServerKey(options.keys, file, update);
    }
    return await MailClient.start(channel, options.credentials.username, adopted);
  } catch (error) {
    framed.destroy();
    throw error;
  }
}
