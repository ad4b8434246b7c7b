#!/usr/bin/env node
/**
 * The entry of a session child, forked by the gateway once per signed-in browser session.
 * Only this process reads the user's private key and holds the session key.
 */
import { createLightLogger } from '../../common/light-log.js';
import type { Reply } from '../messages.js';
import { parseParentToChild, type ChildToParent } from './child-protocol.js';
import { ChildSession } from './child-session.js';

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('session-child: this process is started by the gateway, over IPC\n');
  process.exit(2);
}

// Not pino: a process started for each sign-in starts quicker without it.
const log = createLightLogger('warn', { role: 'session-child' });

const session = new ChildSession({
  reply: (message: Reply) =>
    new Promise<void>((resolve) => {
      if (!process.connected) {
        resolve();
        return;
      }
      send(message, undefined, {}, () => {
        resolve();
      });
    }),
  exit: (code) => {
    process.exit(code);
  },
  warn: (details, message) => {
    log.warn(details, message);
  },
});

process.on('message', (message) => {
  const request = parseParentToChild(message);
  if (request) void session.handle(request);
  else
    log.warn({ type: typeof message }, "an IPC message that is not one of the gateway's, ignored");
});
send({ type: 'ready' } satisfies ChildToParent);
// The gateway died or dropped us: nobody is left to relay to.
process.on('disconnect', () => {
  void session.abandon();
});
// Ctrl-C reaches the whole process group; the gateway decides when this session ends.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => {
  void session.abandon();
});
