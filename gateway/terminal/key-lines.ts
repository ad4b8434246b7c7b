/** What the terminal client says of the user's key folder and private key on this machine. */
import { isProtocolError } from '../../protocol/errors.js';
import { checkKeyFolder } from '../protocol-client/keys.js';
import { keyNotUnlocked, refusalCauses } from '../sign-in-texts.js';

/** What the terminal says of the user's private key on this machine. */
export const keyLines = {
  notUnlocked: (username: string): string => `${keyNotUnlocked(username)}\nTerminating.`,
  refusedDespiteKey: (username: string): string =>
    `The server refused ${username}, although the password unlocked ${username}'s private key here. ${refusalCauses(username)}`,
  plainKey: (file: string): string =>
    `Warning: ${file} is not encrypted: anyone who can read the file can use your key. Encrypt it with your password: npm run encrypt-key -- ${file}`,
};

/** What is wrong with the key folder for this user, before any password is asked; or undefined. */
export function keyFolderProblem(dir: string, username: string): string | undefined {
  try {
    checkKeyFolder(dir, username);
    return undefined;
  } catch (error) {
    if (isProtocolError(error)) return error.message;
    throw error;
  }
}
