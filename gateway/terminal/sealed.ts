/**
 * What the terminal client does and says with sealed emails: sending sealed (session version
 * 3), showing users' keys, and showing a sealed email as read, with who signed it and whether
 * the signature holds. Everything another party wrote is shown, never obeyed, on the terminal.
 */
import {
  EmailError,
  findEmailProblem,
  splitRecipients,
  type StoredEmail,
} from '../../protocol/email.js';
import { isProtocolError } from '../../protocol/errors.js';
import { MAX_RECIPIENTS } from '../../protocol/limits.js';
import { sealedClientLines } from '../../protocol/sealed/lines.js';
import { printable, printableText } from '../../protocol/text.js';
import type { DeliveryReport, Draft } from '../protocol-client/mail-client.js';
import type {
  OpenedEmail,
  SealedMail,
  SealedSendResult,
  SenderStanding,
} from '../protocol-client/sealed-mail.js';

type Write = (text: string) => void;

const shownKey = (key: { name: string; fingerprint: string }) => ({
  name: printable(key.name),
  fingerprint: key.fingerprint,
});

/**
 * Asks for an email (re-asking with the problem when it may not be sent), seals it and sends
 * it. Resolves with the report, or undefined when nothing was sent (a key that changed, a
 * keyring that cannot be used): the warning is written then.
 */
export async function sendSealed(
  sealed: SealedMail,
  compose: (problem?: EmailError) => Promise<Draft>,
  write: Write,
): Promise<DeliveryReport | undefined> {
  let problem: EmailError | undefined;
  let result: SealedSendResult;
  for (;;) {
    const draft = await compose(problem);
    try {
      // Said before it goes: for whom it is sealed, with which key (nothing pinned by asking).
      if (!findEmailProblem({ ...draft, from: sealed.username }))
        write(`${printable(sealedClientLines.willSeal(await sealed.sealingPlan(draft.to)))}\n`);
      result = await sealed.send(draft);
      break;
    } catch (error) {
      if (error instanceof EmailError) {
        problem = error;
        continue;
      }
      // A changed key, an unsafe keyring: nothing went out, and the session goes on.
      if (!isProtocolError(error) || error.fatal) throw error;
      write(`${sealedClientLines.keyChanged(error.message)}\n${sealedClientLines.notSent}\n`);
      return undefined;
    }
  }
  for (const key of result.fromServer)
    write(`${sealedClientLines.pinned(printable(key.name), key.fingerprint)}\n`);
  if (result.withoutKey.length > 0)
    write(`${sealedClientLines.withoutKey(result.withoutKey.map(printable))}\n`);
  write(`${sealedClientLines.sealed(result.readers.map(shownKey))}\n`);
  return result.report;
}

/** Asks for usernames and shows the fingerprint of each one's key (fetching and pinning missing ones). */
export async function showKeys(
  sealed: SealedMail,
  ask: (prompt: string) => Promise<string>,
  write: Write,
): Promise<void> {
  const names = [...new Set(splitRecipients(await ask(sealedClientLines.namesPrompt)))].slice(
    0,
    MAX_RECIPIENTS,
  );
  try {
    const { found, missing } = await sealed.keysOf(names);
    const lines = names.map((name) => {
      const key = found.find((each) => each.name === name);
      if (!key || missing.includes(name)) return sealedClientLines.noKeyOf(printable(name));
      const source = key.source === 'server' ? 'from the server, pinned now' : 'your keyring';
      return sealedClientLines.keyOf(printable(name), key.fingerprint, source);
    });
    write(`${lines.join('\n')}\n`);
  } catch (error) {
    if (!isProtocolError(error) || error.fatal) throw error;
    write(`${sealedClientLines.keyChanged(error.message)}\n`);
  }
}

/**
 * The warning above a plain email whose claimed sender this user holds a key of (pinned) or
 * who sealed mail to them before; '' for any other plain email.
 */
export function plainEmailLine(sender: string, standing: SenderStanding | undefined): string {
  const name = printable(sender);
  if (standing?.sealedBefore) return sealedClientLines.plainFromSealer(name);
  if (standing?.holdsKey) return sealedClientLines.plainFromKeyHolder(name);
  // An ordinary plain email is shown as the specification's client shows it.
  return '';
}

/**
 * A sealed email as read, in the sample's layout, after what was verified (or the warning), a
 * look-alike sender (`lookalike`: the known name it looks like) and a second copy.
 */
export function showSealedEmail(
  stored: StoredEmail,
  opened: OpenedEmail,
  lookalike?: string,
): string {
  const lines: string[] = [''];
  if (opened.verified && opened.signerFingerprint !== undefined) {
    lines.push(sealedClientLines.verified(printable(opened.signedBy), opened.signerFingerprint));
    if (opened.signerKey !== undefined)
      lines.push(sealedClientLines.signerKey(printable(opened.signedBy), opened.signerKey));
  } else lines.push(sealedClientLines.notVerified(printableText(opened.warning ?? '')));
  if (lookalike !== undefined)
    lines.push(sealedClientLines.lookalike(printable(opened.signedBy), printable(lookalike)));
  if (opened.copyOf)
    lines.push(
      sealedClientLines.copy(
        printable(opened.copyOf.receivedAt),
        new Date(opened.copyOf.openedAtMs).toISOString(),
      ),
    );
  else if (opened.content !== undefined && opened.emailId === undefined)
    lines.push(sealedClientLines.noId);
  if (opened.content !== undefined && opened.signedAtMs !== undefined)
    lines.push(sealedClientLines.signedAt(new Date(opened.signedAtMs).toISOString()));
  if (opened.readers.length > 0)
    lines.push(sealedClientLines.sealedFor(opened.readers.map(shownKey)));
  lines.push(
    `From: ${printable(opened.from)}`,
    `To: ${printable(opened.to.join(';'))}`,
    `Time and Date Received: ${printable(stored.receivedAt)}`,
    `Title: ${printable(opened.title)}`,
  );
  if (opened.content !== undefined)
    lines.push(
      `Content Length: ${opened.contentLength ?? 0}`,
      `Contents:\n${printableText(opened.content)}`,
    );
  return `${lines.join('\n')}\n\n`;
}
