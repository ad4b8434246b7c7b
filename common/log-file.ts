/**
 * A log file written line by line, synchronously (a line written just before the process dies
 * is kept), and reopened by name on request: logrotate renames the file, sends SIGUSR1, and
 * the next line goes to a new file of the old name. Opened for appending, created 0600.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export class LogFile {
  readonly path: string;
  #fd: number;

  /** Throws (ENOENT, EACCES) when the file cannot be opened: the caller says so and stops. */
  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, 'a', 0o600);
  }

  write(line: string): void {
    writeSync(this.#fd, line);
  }

  /** Opens the file by its name again; on failure keeps writing where it wrote, and says why. */
  reopen(): Error | undefined {
    let fd: number;
    try {
      fd = openSync(this.path, 'a', 0o600);
    } catch (error) {
      return error as Error;
    }
    closeSync(this.#fd);
    this.#fd = fd;
    return undefined;
  }
}
