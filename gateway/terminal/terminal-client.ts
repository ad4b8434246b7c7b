import type { ChannelKind } from '../../protocol/channel-kinds.js';
import { serverKeyAdoptedText } from '../protocol-client/server-key-update.js';
import { enhancedClientLines, mailboxClientLines } from '../../protocol/enhanced/lines.js';
import { isProtocolError } from '../../protocol/errors.js';
import { formatInboxListing, type InboxRow } from '../../protocol/inbox.js';
import { deleteEmail } from '../../protocol/operations/delete-email.js';
import type { DeliveryReport } from '../../protocol/operations/delivery-report.js';
import { fetchPublicKeys } from '../../protocol/operations/fetch-public-keys.js';
import { listChanges } from '../../protocol/operations/list-changes.js';
import { listInbox } from '../../protocol/operations/list-inbox.js';
import { sendEmail } from '../../protocol/operations/send-email.js';
import { sendSealedEmail } from '../../protocol/operations/send-sealed-email.js';
import { terminate } from '../../protocol/operations/terminate.js';
import { parseEmailIndex, viewEmail } from '../../protocol/operations/view-email.js';
import { waitForMail } from '../../protocol/operations/wait-for-mail.js';
import { printable, printableText } from '../../protocol/text.js';
import { clientLines, invalidIndexText } from '../../protocol/texts.js';
import { sealedClientLines } from '../../protocol/sealed/lines.js';
import { Keyring } from '../protocol-client/keyring.js';
import { keyringFolder, loadClientKeys, type LoadedClientKeys } from '../protocol-client/keys.js';
import { keyFolderProblem, keyLines } from './key-lines.js';
import { LocalSeal } from '../protocol-client/local-seal.js';
import type { MailClient, ReadResult } from '../protocol-client/mail-client.js';
import { Lookalikes } from '../protocol-client/lookalikes.js';
import { OpenedEmails } from '../protocol-client/opened-emails.js';
import { SealedMail } from '../protocol-client/sealed-mail.js';
import { describeChoice } from '../protocol-client/server-list.js';
import { openSession } from '../protocol-client/session.js';
import type { LineInput } from './line-input.js';
import { SealerMemory } from '../protocol-client/sealer-memory.js';
import { plainEmailLine, sendSealed, showKeys, showSealedEmail } from './sealed.js';
import { asker, composer, InputEnded } from './prompts.js';

export interface TerminalOptions {
  input: LineInput;
  write: (text: string) => void;
  keysDir: string;
  port: number;
  /** Skips the server prompt when given. */
  server?: string;
  /** The protocol under the session (default classic). */
  channel?: ChannelKind;
  /** How long to wait for any one answer of the server. */
  replyTimeoutMs: number;
}

/**
 * The sample's display of an email (section IV, client 5), opened first when it is sealed.
 * Every field came from another user, so none may act on the terminal: control and bidi
 * characters are shown, not obeyed.
 */
async function showEmail(
  result: ReadResult,
  sealed: SealedMail,
  serverId: string | undefined,
): Promise<string> {
  if (result.kind === 'refused' || !result.email) return `${printableText(result.text)}\n`;
  const email = result.email;
  const opened = await sealed.open(email, serverId);
  // Known names are read after opening: a signer's key fetched now is pinned, and still compared.
  const lookalikes = new Lookalikes(sealed.username, sealed.keyring);
  if (opened) return showSealedEmail(email, opened, lookalikes.of(opened.signedBy));
  const lookalike = lookalikes.of(email.from);
  // Printed before the email, so that nothing in its content comes first.
  const warnings = [
    lookalike === undefined
      ? ''
      : sealedClientLines.lookalike(printable(email.from), printable(lookalike)),
    plainEmailLine(email.from, sealed.standings([email.from]).get(email.from)),
  ].filter((line) => line !== '');
  return (
    `\n${warnings.map((line) => `${line}\n`).join('')}` +
    `From: ${printable(email.from)}\nTo: ${printable(email.to.join(';'))}\n` +
    `Time and Date Received: ${printable(email.receivedAt)}\n` +
    `Title: ${printable(email.title)}\nContent Length: ${email.contentLength}\n` +
    `Contents:\n${printableText(email.content)}\n\n`
  );
}

/** The delivery report of session version 2, a line per recipient. */
function showReport(report: DeliveryReport): string {
  if (!report.accepted) return `${mailboxClientLines.refused(printable(report.reason))}\n`;
  return report.recipients
    .map((recipient) => {
      const name = printable(recipient.name);
      if (recipient.status === 'delivered') return `${mailboxClientLines.delivered(name)}\n`;
      if (recipient.status === 'unknownUser') return `${mailboxClientLines.unknownUser(name)}\n`;
      return `${mailboxClientLines.refusedFor(name, printable(recipient.reason))}\n`;
    })
    .join('');
}

/** Deletes by the index of the last listing (listed now when there was none), sending the email's id. */
async function deleteByIndex(
  client: MailClient,
  options: TerminalOptions,
  listed: InboxRow[] | undefined,
): Promise<void> {
  const rows = listed ?? (await client.listInbox()).rows;
  const answer = await options.input.ask(mailboxClientLines.deletePrompt);
  if (answer === null) throw new InputEnded();
  const index = parseEmailIndex(answer);
  const row = rows.find((candidate) => candidate.index === index);
  if (index === undefined || row?.id === undefined) {
    options.write(`${invalidIndexText(printable(answer.trim().slice(0, 20)), rows.length)}\n`);
    return;
  }
  const deleted = await client.delete(row.id);
  options.write(
    `${deleted ? mailboxClientLines.deleted(index) : mailboxClientLines.notThere(index)}\n`,
  );
}

/** Waits for new mail until it comes or the user presses Enter, waking up as often as the server asks. */
async function waitForNewMail(client: MailClient, options: TerminalOptions): Promise<void> {
  options.write(`${mailboxClientLines.waiting}\n`);
  const stop = new AbortController();
  const pressed = options.input.next(stop.signal).then((line) => {
    if (line !== undefined) stop.abort();
    return line;
  });
  try {
    for (;;) {
      const outcome = await client.waitForMail({ timeoutSeconds: 3600, signal: stop.signal });
      if (outcome === 'newMail') {
        options.write(`${mailboxClientLines.newMail}\n`);
        return;
      }
      if (outcome === 'cancelled') {
        if ((await pressed) === null) throw new InputEnded();
        options.write(`${mailboxClientLines.stoppedWaiting}\n`);
        return;
      }
    }
  } finally {
    stop.abort();
  }
}

/** A warning line for each listed sender who looks like a known user (empty when none). */
function lookalikeLines(rows: readonly InboxRow[], sealed: SealedMail): string {
  const lookalikes = new Lookalikes(sealed.username, sealed.keyring);
  return rows
    .flatMap((row) => {
      const known = lookalikes.of(row.from);
      return known === undefined
        ? []
        : [
            `${sealedClientLines.lookalike(printable(row.from), printable(known), ` (email ${row.index})`)}\n`,
          ];
    })
    .join('');
}

/**
 * The server's id of the email read by the index typed, from the last listing, when the session
 * lists ids and the listed row is the email read (same sender and receive time); else undefined.
 */
function listedId(
  listed: readonly InboxRow[] | undefined,
  typed: string,
  result: ReadResult,
): string | undefined {
  if (result.kind !== 'email' || !result.email) return undefined;
  const row = listed?.find((each) => String(each.index) === typed.trim());
  const { from, receivedAt } = result.email;
  return row && row.from === from && row.receivedAt === receivedAt ? row.id : undefined;
}

async function menuLoop(
  client: MailClient,
  sealed: SealedMail,
  options: TerminalOptions,
): Promise<void> {
  const { write } = options;
  const {
    delete: deletes,
    waitForMail: waits,
    sealed: seals,
    inboxChanges: listsChanges,
  } = client.capabilities;
  let listed: InboxRow[] | undefined;
  for (;;) {
    // The menu comes from the server: shown as text, never obeyed as terminal commands.
    const answer = await options.input.ask(printableText(client.menu));
    const choice = answer?.trim() ?? terminate.choice;
    if (seals && (choice === sendEmail.choice || choice === sendSealedEmail.choice)) {
      // Sealed by default whenever the session can seal.
      const report = await sendSealed(sealed, composer(options), write);
      if (report) write(`${clientLines.sent}\n${showReport(report)}`);
    } else if (choice === sendEmail.choice) {
      const { report } = await client.send(composer(options));
      write(`${clientLines.sent}\n`);
      if (report) write(showReport(report));
    } else if (seals && choice === fetchPublicKeys.choice) {
      await showKeys(sealed, asker(options), write);
    } else if (choice === listInbox.choice) {
      const listing = await client.listInbox();
      listed = listing.rows;
      write(`${printableText(listing.text)}\n${lookalikeLines(listing.rows, sealed)}`);
    } else if (listsChanges && choice === listChanges.choice) {
      const { rows, changes, text } = await client.listInbox();
      listed = rows;
      if (!changes || changes.first) {
        write(`${mailboxClientLines.firstChanges(rows.length)}\n${printableText(text)}\n`);
      } else {
        const { added, removed } = changes;
        write(`${mailboxClientLines.changes(added.length, removed, rows.length)}\n`);
        if (added.length > 0) write(`${printableText(formatInboxListing(added))}\n`);
      }
      write(lookalikeLines(rows, sealed));
    } else if (deletes && choice === deleteEmail.choice) {
      await deleteByIndex(client, options, listed);
      listed = undefined;
    } else if (waits && choice === waitForMail.choice) {
      await waitForNewMail(client, options);
    } else if (choice === viewEmail.choice) {
      let typed = '';
      const result = await client.read(async () => {
        typed = await asker(options)(clientLines.indexPrompt);
        return typed;
      });
      write(await showEmail(result, sealed, listedId(listed, typed, result)));
    } else {
      if (answer === null) write('\n');
      await client.terminate(answer === null ? terminate.choice : choice);
      write(`${clientLines.terminated}\n`);
      return;
    }
  }
}

/** What the person is told when the session cannot start or goes on no longer. */
function failureText(error: unknown, replyTimeoutMs: number): string | undefined {
  if (isProtocolError(error, 'IDLE_TIMEOUT'))
    return `The server did not answer within ${replyTimeoutMs / 1000} s`;
  if (isProtocolError(error)) return error.message;
  return undefined;
}

/** The terminal client of the sample sessions (section IV). Resolves with the exit code. */
export async function runTerminalClient(options: TerminalOptions): Promise<number> {
  const { input, write } = options;
  const server = options.server ?? (await input.ask(clientLines.serverPrompt))?.trim();
  const username = (await input.ask(clientLines.usernamePrompt))?.trim();
  // Before the password is typed: a folder that cannot log anyone in says so at once.
  const problem = server && username ? keyFolderProblem(options.keysDir, username) : undefined;
  if (problem !== undefined) {
    write(`${printable(problem)}\nTerminating.\n`);
    return 1;
  }
  const password = await input.askHidden(clientLines.passwordPrompt);
  if (!server || !username || password === null) {
    write('\nNo input: terminating.\n');
    return 1;
  }
  let client: MailClient;
  let keys: LoadedClientKeys;
  try {
    // The key is unlocked with what was typed before any byte goes to the server: a server's
    // "accepted" never unlocks anything here.
    keys = loadClientKeys(options.keysDir, username, { passphrase: password });
  } catch (error) {
    if (isProtocolError(error, 'WRONG_KEY_PASSPHRASE')) {
      write(`${keyLines.notUnlocked(username)}\n`);
      return 1;
    }
    if (isProtocolError(error)) {
      write(`${printable(error.message)}\nTerminating.\n`);
      return 1;
    }
    throw error;
  }
  if (keys.privateKeyAtRest === 'plain' && keys.privateKeyFile !== undefined)
    write(`${keyLines.plainKey(printable(keys.privateKeyFile))}\n`);
  try {
    client = await openSession({
      host: server,
      port: options.port,
      credentials: { username, password },
      keys,
      channel: options.channel ?? 'classic',
      replyTimeoutMs: options.replyTimeoutMs,
      onServer: (choice) => {
        write(`${describeChoice(choice)}\n`);
      },
    });
  } catch (error) {
    if (isProtocolError(error, 'LOGIN_REJECTED')) {
      if (keys.privateKeyAtRest === 'encrypted') write(`${keyLines.refusedDespiteKey(username)}\n`);
      write(`${clientLines.rejected}\n`);
      return 1;
    }
    const text = failureText(error, options.replyTimeoutMs);
    if (text === undefined) throw error;
    write(`${printable(text)}\nTerminating.\n`);
    return 1;
  }
  if (client.serverFingerprint !== undefined) {
    write(
      `${enhancedClientLines.serverVerified(client.serverFingerprint)}\n${enhancedClientLines.keyExchange}\n`,
    );
  }
  if (client.version !== undefined)
    write(`${enhancedClientLines.sessionVersion(client.version)}\n`);
  const adopted = client.serverKeyAdopted;
  if (adopted) write(`${serverKeyAdoptedText(adopted)}\n`);
  const seal = new LocalSeal(keys.privateKey(), username);
  const folder = keyringFolder(options.keysDir, username);
  const keyring = new Keyring(folder, seal);
  const sealed = new SealedMail(client, keys.privateKey(), keyring, {
    sealers: new SealerMemory(folder, seal),
    opened: new OpenedEmails(folder, seal),
  });
  if (sealed.canSeal) write(`${sealedClientLines.ownKey(sealed.fingerprint)}\n`);
  try {
    await menuLoop(client, sealed, options);
    const records = client.records;
    if (records) write(`${enhancedClientLines.records(records.sent, records.received)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof InputEnded) {
      client.destroy();
      write('\nInput ended: the connection is closed; nothing unfinished was sent.\n');
      return 1;
    }
    const text = failureText(error, options.replyTimeoutMs);
    if (text === undefined) throw error;
    client.destroy();
    write(`\nThe session ended: ${printable(text)}.\n`);
    return 1;
  }
}
