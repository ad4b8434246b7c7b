/** Builds what a connection needs, the same way in a session process and in the parent. */
import type { ChannelKind } from '../protocol/channel-kinds.js';
import type { ConnectionContext } from './connection.js';
import type { ServerHome } from './home.js';
import type { Logger } from './log.js';
import { loginContext } from './login-policy.js';
import type { MailStore } from './store/mail-store.js';
import type { LoginThrottle } from './throttle/rules.js';

export interface ContextParts {
  channel: ChannelKind;
  home: ServerHome;
  store: MailStore;
  throttle: LoginThrottle;
  log: Logger;
  announce: (line: string) => void;
  idleTimeoutMs: number;
  maxFrameBytes: number;
  maxInboxBytes: number;
}

/** A wait for new mail ends this long before the idle timeout would end the session. */
const WAIT_MARGIN_MS = 5000;

export function connectionContext(parts: ContextParts): ConnectionContext {
  const { channel, home, store, throttle, log, announce, idleTimeoutMs, maxFrameBytes } = parts;
  return {
    channel,
    login: loginContext(home, throttle, log, announce),
    session: {
      home,
      store,
      log,
      announce,
      maxInboxBytes: parts.maxInboxBytes,
      maxWaitMs: Math.max(1000, idleTimeoutMs - WAIT_MARGIN_MS),
    },
    log,
    announce,
    idleTimeoutMs,
    maxFrameBytes,
  };
}
