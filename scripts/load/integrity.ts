/** The load test's last step: every email whose send completed is stored exactly once, whole. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStoredEmail } from '../../protocol/email.js';

export interface SentEmail {
  title: string;
  recipient: string;
  /** SHA-256 of the content, hex. */
  digest: string;
}

export interface IntegrityReport {
  sends_completed: number;
  stored_once_and_whole: number;
  missing: number;
  duplicated: number;
  damaged: number;
}

const digestOf = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The stored texts of a user's emails in a seed-files home (`dir/server/<user>/*.txt`). */
export function seedFilesTexts(dir: string, user: string): string[] {
  const folder = join(dir, 'server', user);
  return readdirSync(folder)
    .filter((file) => file.endsWith('.txt'))
    .map((file) => readFileSync(join(folder, file), 'utf8'));
}

/** Reads every stored email of the users' inboxes and checks each sent email against them. */
export async function checkInboxes(
  users: readonly string[],
  sent: readonly SentEmail[],
  storedTexts: (user: string) => Promise<string[]>,
): Promise<IntegrityReport> {
  const report: IntegrityReport = {
    sends_completed: sent.length,
    stored_once_and_whole: 0,
    missing: 0,
    duplicated: 0,
    damaged: 0,
  };
  const inboxes = new Map<string, Map<string, string[]>>();
  for (const user of users) {
    const byTitle = new Map<string, string[]>();
    for (const text of await storedTexts(user)) {
      try {
        const email = parseStoredEmail(text);
        byTitle.set(email.title, [...(byTitle.get(email.title) ?? []), digestOf(email.content)]);
      } catch {
        report.damaged++;
      }
    }
    inboxes.set(user, byTitle);
  }
  for (const email of sent) {
    const copies = inboxes.get(email.recipient)?.get(email.title) ?? [];
    if (copies.length === 0) report.missing++;
    else if (copies.length > 1) report.duplicated++;
    else if (copies[0] !== email.digest) report.damaged++;
    else report.stored_once_and_whole++;
  }
  return report;
}
