/**
 * Waiting for new mail (session version 2), as IMAP's IDLE: the server answers the moment
 * something is delivered to the inbox, or when the wait times out, and the client can end the
 * wait at any moment to do something else.
 *
 *   client -> server  wait request: type (1) | timeout in seconds (u16) | newest id (u16 + UTF-8)
 *   server -> client  at most one wake-up: type (1) | reason (1): 0 new mail, 1 timed out
 *   client -> server  wait done: type (1)           (after a wake-up, or at any moment before)
 *   server -> client  wait ended: type (1)
 *
 * "Newest id" is the id of the newest email the client knows of (empty for none): when the
 * inbox's newest is another, mail came while the client was not waiting, and the server wakes
 * it at once.
 *
 * The wait always ends with the client's "done" and the server's "ended", so the two can
 * never cross: a wake-up sent while the client's "done" is on its way is read and dropped by
 * the client, which is still reading up to "ended".
 */
import type { MessageChannel } from '../channel.js';
import { ProtocolError } from '../errors.js';
import { MessageType } from './message-types.js';
import {
  binaryChannel,
  message,
  readMessage,
  receiveMessage,
  sendMessage,
} from './typed-channel.js';
import type { MenuOperation } from './types.js';

export const WakeReason = { newMail: 0, timedOut: 1 } as const;
export type WaitOutcome = 'newMail' | 'timedOut' | 'cancelled';

export interface WaitRequest {
  /** Seconds the server may wait before it wakes the client anyway (it may shorten it). */
  timeoutSeconds: number;
  /** The id of the newest email the client knows of; omitted when it knows none. */
  newestKnownId?: string;
  /** Ends the wait early. */
  signal?: AbortSignal;
}

const MAX_TIMEOUT_SECONDS = 0xffff;
const MAX_ID_BYTES = 256;

async function clientWait(channel: MessageChannel, request: WaitRequest): Promise<WaitOutcome> {
  const timeout = Math.max(1, Math.min(MAX_TIMEOUT_SECONDS, Math.round(request.timeoutSeconds)));
  await sendMessage(
    channel,
    message('waitRequest')
      .u16(timeout)
      .text(request.newestKnownId ?? ''),
  );
  let outcome: WaitOutcome = 'cancelled';
  const done = { sent: false };
  const sendDone = async (): Promise<void> => {
    if (done.sent) return;
    done.sent = true;
    await sendMessage(channel, message('waitDone'));
  };
  const onAbort = (): void => {
    void sendDone().catch(() => undefined);
  };
  if (request.signal?.aborted) await sendDone();
  else request.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { type, reader } = readMessage(await binaryChannel(channel).receiveBytes());
      if (type === MessageType.waitEnded) {
        reader.end();
        return outcome;
      }
      if (type !== MessageType.wakeUp) {
        throw new ProtocolError(
          'UNEXPECTED_MESSAGE',
          `expected a wake-up or wait ended, got type ${type}`,
        );
      }
      const reason = reader.u8('reason');
      reader.end();
      // A wake-up that crossed the client's own "done" does not change why the wait ended.
      if (!done.sent) outcome = reason === WakeReason.newMail ? 'newMail' : 'timedOut';
      await sendDone();
    }
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
  }
}

export const waitForMail: MenuOperation<WaitRequest, WaitOutcome> = {
  choice: '6',
  label: 'Wait for new mail',

  client: clientWait,

  async server(channel, hooks) {
    const request = await receiveMessage(channel, 'waitRequest');
    const timeoutMs = Math.min(request.u16('timeout') * 1000, hooks.maxWaitMs);
    const newestKnownId = request.text('newest id', MAX_ID_BYTES);
    request.end();
    const done = receiveMessage(channel, 'waitDone');
    let stopWatching: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    // Nothing runs while the client waits: the store's watch or the timer wakes it.
    const woken = new Promise<number>((resolve) => {
      stopWatching = hooks.watchInbox(() => {
        resolve(WakeReason.newMail);
      });
      timer = setTimeout(() => {
        resolve(WakeReason.timedOut);
      }, timeoutMs);
      // Watching first, then looking: mail that lands in between is seen by one or the other.
      // A listing that fails here leaves the wait to the watch and the timer; the client's own
      // listing will report the failure.
      hooks.onList().then(
        (rows) => {
          if ((rows.at(-1)?.id ?? '') !== newestKnownId) resolve(WakeReason.newMail);
        },
        () => undefined,
      );
    });
    try {
      const first = await Promise.race([woken, done.then(() => undefined)]);
      if (first !== undefined) await sendMessage(channel, message('wakeUp').u8(first));
      (await done).end();
      await sendMessage(channel, message('waitEnded'));
    } finally {
      stopWatching();
      clearTimeout(timer);
      // A connection that fails during the wait must not leave a rejection nobody handles.
      done.catch(() => undefined);
    }
  },
};
