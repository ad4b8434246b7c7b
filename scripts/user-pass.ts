/** user_pass.json read as the admin command needs it: each problem one line, saying which. */
import { join } from 'node:path';
import { readRegularFile } from '../common/safe-files.js';

/** A request the site's files refuse: one line, saying what is wrong. */
export class SiteUsersError extends Error {}

export const USER_PASS = 'user_pass.json';
const MAX_USER_PASS_BYTES = 16 * 1024 * 1024;

/** user_pass.json as it is: each user's plain password or scrypt hash. */
export function readUserPass(home: string): Record<string, string> {
  const data = readRegularFile(join(home, USER_PASS), MAX_USER_PASS_BYTES);
  if (!data)
    throw new SiteUsersError(`${join(home, USER_PASS)} is missing: is ${home} a server's home?`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new SiteUsersError(
      `${join(home, USER_PASS)} is not valid JSON (${(error as Error).message})`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SiteUsersError(
      `${join(home, USER_PASS)} is not a JSON object of {"user": "password"}`,
    );
  const records: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string')
      throw new SiteUsersError(
        `${join(home, USER_PASS)}: the password of "${name}" is not a string`,
      );
    records[name] = value;
  }
  return records;
}
