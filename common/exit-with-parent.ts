/**
 * A program started by `npm start` ends when its launcher does, however the launcher ends (a
 * kill -9 included): the launcher gives it a pipe as standard input and says so in the
 * environment, and the kernel closes that pipe when the launcher's process is gone.
 */
export const EXIT_WITH_PARENT = 'SEALED_MAIL_EXIT_WITH_PARENT';

/** Calls `stop` once standard input closes, when the launcher asked for it. */
export function exitWithParent(stop: () => void): void {
  if (process.env[EXIT_WITH_PARENT] !== '1') return;
  process.stdin.once('end', stop);
  process.stdin.once('close', stop);
  process.stdin.resume();
}
