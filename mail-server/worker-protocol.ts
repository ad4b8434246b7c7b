/** Messages between the mail server's parent process and its session children. */

export type ChannelKind = 'classic' | 'enhanced';

export interface WorkerConfig {
  home: string;
  channel: ChannelKind;
  idleTimeoutMs: number;
  maxFrameBytes: number;
  logLevel: string;
}

/** Parent to child: serve the socket sent with this message; or retire. */
export type ToWorker = { type: 'session' } | { type: 'exit' };
/** Child to parent: ready for a session; finished one. */
export type FromWorker = { type: 'ready' } | { type: 'done' };

export function isFromWorker(message: unknown): message is FromWorker {
  if (typeof message !== 'object' || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === 'ready' || type === 'done';
}

export function isToWorker(message: unknown): message is ToWorker {
  if (typeof message !== 'object' || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === 'session' || type === 'exit';
}
