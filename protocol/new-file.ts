/**
 * Writing a file that must not exist yet, whole or not at all, on the client machine (the
 * gateway's private files, the keyring): a temporary file in the same folder, created
 * exclusively and never through a symbolic link, written, fsynced, then hard-linked to its name
 * (a link, unlike a rename, never replaces what is there), then the folder fsynced.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  linkSync,
  openSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export function fsyncFolder(folder: string): void {
  const fd = openSync(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `folder/name` with exactly `mode`. Throws the link's error when the name is taken
 * (EEXIST), whatever is there, a symbolic link included; nothing is left behind either way.
 */
export function writeNewFile(folder: string, name: string, data: Buffer, mode: number): void {
  const temp = join(folder, `.tmp.${process.pid}.${randomBytes(6).toString('hex')}`);
  const fd = openSync(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    try {
      // The umask may only take bits away; this makes the mode exact.
      fchmodSync(fd, mode);
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(temp, join(folder, name));
    fsyncFolder(folder);
  } finally {
    unlinkSync(temp);
  }
}
