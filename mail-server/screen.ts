import type { Socket } from 'node:net';
import { FrameDecoder } from '../protocol/framing.js';

/** A login (RSA blob or enhanced hello) is small; a first frame larger than this is not one. */
export const MAX_FIRST_FRAME_BYTES = 16 * 1024;

export type ScreenOutcome =
  | { kind: 'spoke'; preread: Buffer }
  | { kind: 'dropped'; reason: 'timeout' | 'closed' | 'oversized' };

/**
 * A paused stream still lets its handle read ahead from the kernel. The handle of a socket
 * about to be handed to a session process must stop reading, or bytes the client sends next
 * (its "OK" after the key) could be read here, after the hand-over, and lost. Node has no
 * public call for this; the handle's readStop() is what net.Socket itself uses.
 */
function stopReading(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: { readStop?: () => number } })._handle;
  handle?.readStop?.();
}

/**
 * Holds a new connection in the parent until its first whole frame has arrived, as Postfix's
 * postscreen does, so that connections that never speak (or speak too slowly) do not occupy a
 * session process. Every byte read is returned, to be replayed where the session is served;
 * with `handOver`, this process stops reading the socket, which another process will serve.
 */
export function screenConnection(
  socket: Socket,
  timeoutMs: number,
  handOver: boolean,
): Promise<ScreenOutcome> {
  return new Promise((resolve) => {
    const decoder = new FrameDecoder(MAX_FIRST_FRAME_BYTES);
    const chunks: Buffer[] = [];
    const finish = (outcome: ScreenOutcome): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      if (outcome.kind === 'dropped') socket.destroy();
      resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch {
        finish({ kind: 'dropped', reason: 'oversized' });
        return;
      }
      if (frames.length === 0) return;
      socket.pause();
      // Whatever the stream had buffered beyond the frame goes along too.
      for (
        let extra = socket.read() as Buffer | null;
        extra !== null;
        extra = socket.read() as Buffer | null
      ) {
        chunks.push(extra);
      }
      // A socket served in this process reads on; one handed to another must stop here.
      if (handOver) stopReading(socket);
      finish({ kind: 'spoke', preread: Buffer.concat(chunks) });
    };
    const onClose = (): void => {
      finish({ kind: 'dropped', reason: 'closed' });
    };
    const timer = setTimeout(() => {
      finish({ kind: 'dropped', reason: 'timeout' });
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
  });
}
