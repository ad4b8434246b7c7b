/**
 * A fake classic server, as an attacker would run one: it holds nothing but a user's public key
 * (all a classic server needs to answer a login), cannot read the credentials, and accepts them
 * anyway, sending a session key encrypted to that public key, then the menu and an empty inbox.
 * It counts the connections and login blobs it receives.
 */
import type { KeyObject } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ClassicChannel } from '../../protocol/classic/channel.js';
import { newSessionKey, rsaEncrypt } from '../../protocol/crypto.js';
import { FramedSocket } from '../../protocol/framing.js';
import { MENU } from '../../protocol/operations/menu.js';

export interface FakeClassicServer {
  port: number;
  /** Connections opened to it so far. */
  readonly connections: number;
  /** Login blobs received so far (each a user's encrypted credentials). */
  readonly logins: number;
  stop(): Promise<void>;
}

async function serve(socket: Socket, victimKey: KeyObject, counted: () => void): Promise<void> {
  const framed = new FramedSocket(socket, { idleTimeoutMs: 20_000 });
  await framed.read();
  counted();
  const sessionKey = newSessionKey();
  await framed.write(rsaEncrypt(victimKey, sessionKey));
  const channel = new ClassicChannel(framed, sessionKey);
  await channel.receive(); // "OK"
  for (;;) {
    await channel.send(MENU);
    const choice = await channel.receive();
    if (choice !== '2') break;
    await channel.send('Index  From      DateTime                      Title\n');
    await channel.receive(); // "OK"
  }
  socket.destroy();
}

export async function startFakeClassicServer(victimKey: KeyObject): Promise<FakeClassicServer> {
  let connections = 0;
  let logins = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
    });
    serve(socket, victimKey, () => {
      logins++;
    }).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    get logins() {
      return logins;
    },
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
