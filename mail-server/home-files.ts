/**
 * Reading the files of a server's home: each problem is a HOME_FILE ServerError that names the
 * file and says what to do.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { ServerError } from './errors.js';

/** A problem with one file of the home; the message names the file. */
export const homeError = (file: string, problem: string): ServerError =>
  new ServerError('HOME_FILE', `${file}: ${problem}`);

export function readRequired(file: string): string {
  if (!existsSync(file)) throw homeError(file, 'missing');
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw homeError(file, `cannot be read (${(error as Error).message})`);
  }
}

/** Reads a PEM key file; any problem becomes a HomeError naming the file. */
export function readKey(
  file: string,
  parse: (pem: string, source: string) => KeyObject,
): KeyObject {
  const pem = readRequired(file);
  try {
    return parse(pem, file);
  } catch (error) {
    throw homeError(file, (error as Error).message);
  }
}

/**
 * Refuses a secret file that other users can read (the server's private key, the passwords), as
 * OpenSSH refuses such a key: one line, with what to run.
 */
export function requirePrivateMode(file: string): void {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw homeError(
      file,
      `can be read by other users (mode ${octal(mode)}); run: chmod 600 ${file}`,
    );
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

/** A home that others can write into lets them swap any key or inbox: refused. */
export function requireClosedFolder(dir: string): void {
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o022) !== 0)
    throw homeError(
      dir,
      `can be written by other users (mode ${octal(mode)}), who could replace its keys; run: chmod go-w ${dir}`,
    );
}
