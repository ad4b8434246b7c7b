/**
 * Attack 7, tampering at rest: a malicious server operator (or whoever gets at the server's
 * disk or backups) edits an email stored in the recipient's inbox. Neither protocol protects
 * what is stored: a plain email's edited text is shown as what its sender wrote. A sealed
 * email (the enhanced protocol, session version 3) is signed by its sender: an edited body
 * does not verify and its content is not shown, an edited Title line is caught and the signed
 * title shown instead. What the operator can still do is put a plain email in its place: that
 * is shown as any unsealed email, without the lock (docs/SECURITY.md, "Sealed mail").
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredEmail } from '../../protocol/email.js';
import { Keyring } from '../../gateway/protocol-client/keyring.js';
import { keyringFolder, loadClientKeys } from '../../gateway/protocol-client/keys.js';
import type { MailClient } from '../../gateway/protocol-client/mail-client.js';
import { SealedMail, type OpenedEmail } from '../../gateway/protocol-client/sealed-mail.js';
import { ARMOUR_BEGIN } from '../../protocol/sealed/suite.js';
import { codePointLength } from '../../protocol/text.js';
import { passwordOf, type Lab } from './lab.js';
import { quote, type AttackReport } from './report.js';

export const SENDER = 'client1';
export const RECIPIENT = 'client2';
export const GENUINE_ACCOUNT = 'DE44 1234 5678 9012';
export const FORGED_ACCOUNT = 'DE66 6666 6666 6666';
const invoice = (title: string) => ({
  to: [RECIPIENT],
  title,
  content: `Please pay invoice 42 to account ${GENUINE_ACCOUNT} (Acme Ltd) by Friday.`,
});
export const FORGED_TITLE = 'Urgent: new bank details';

/** One edit the operator made on disk, and what the recipient's client then showed. */
export interface EditOutcome {
  edit: 'content' | 'sealed body' | 'title line' | 'plain in place of sealed';
  /** The title the client showed (the signed one, for a sealed email that opens). */
  shownTitle: string;
  /** The content the client showed; undefined when it showed none. */
  shownContent: string | undefined;
  /** For a sealed email: whether the client showed it verified, and its warning otherwise. */
  sealed?: { verified: boolean; problem?: string; warning?: string };
  /** The operator's text was shown as genuine: no warning, the edit in what was shown. */
  fooled: boolean;
}

export interface TamperingResult extends AttackReport {
  edits: EditOutcome[];
}

/** The operator's edit of one stored file: its text in, the edited text out. */
type Edit = (text: string) => string;

/** The one file of the recipient's inbox holding `title`, edited in place. */
function editStored(lab: Lab, title: string, edit: Edit): void {
  const file = lab.inbox(RECIPIENT).find((each) => each.text.includes(`\nTitle: ${title}\n`));
  if (!file) throw new Error(`the server stored no email titled ${title}`);
  writeFileSync(join(lab.dir, 'server', RECIPIENT, file.name), edit(file.text));
}

const forgeAccount: Edit = (text) => text.replace(GENUINE_ACCOUNT, FORGED_ACCOUNT);

/** One base64 character of the sealed body changed, in its middle (where the ciphertext is). */
const flipSealedByte: Edit = (text) => {
  const body = text.indexOf(`${ARMOUR_BEGIN}\n`) + ARMOUR_BEGIN.length + 1;
  let at = body + Math.floor((text.length - body) / 2);
  while (text[at] === '\n') at += 1;
  return `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
};

const forgeTitle =
  (title: string): Edit =>
  (text) =>
    text.replace(`\nTitle: ${title}\n`, `\nTitle: ${FORGED_TITLE}\n`);

/** The sealed body replaced by plain text in the operator's words, with its Content Length. */
const plainInPlace: Edit = (text) => {
  const content = invoice('').content.replace(GENUINE_ACCOUNT, FORGED_ACCOUNT);
  const head = text.slice(0, text.indexOf('\nContent Length: '));
  return `${head}\nContent Length: ${codePointLength(content)}\nContent:\n${content}`;
};

/** Reads the newest email titled `title` as the recipient's client does. */
async function readAsRecipient(client: MailClient, title: string): Promise<StoredEmail> {
  const { rows } = await client.listInbox();
  const row = rows.findLast((each) => each.title === title || each.title === FORGED_TITLE);
  if (!row) throw new Error(`no ${title} in the listing`);
  const result = await client.read(row.id === undefined ? row.index : { id: row.id });
  if (result.kind !== 'email' || !result.email) throw new Error(`${title} cannot be read`);
  return result.email;
}

function outcome(
  edit: EditOutcome['edit'],
  email: StoredEmail,
  opened: OpenedEmail | undefined,
): EditOutcome {
  if (!opened) {
    const fooled = email.content.includes(FORGED_ACCOUNT) || email.title === FORGED_TITLE;
    return { edit, shownTitle: email.title, shownContent: email.content, fooled };
  }
  const sealed = {
    verified: opened.verified,
    ...(opened.problem === undefined ? {} : { problem: opened.problem }),
    ...(opened.warning === undefined ? {} : { warning: opened.warning }),
  };
  const shown = `${opened.title}\n${opened.content ?? ''}`;
  const fooled =
    opened.warning === undefined &&
    (shown.includes(FORGED_ACCOUNT) || shown.includes(FORGED_TITLE));
  return { edit, shownTitle: opened.title, shownContent: opened.content, sealed, fooled };
}

function describe(result: EditOutcome): string {
  const shown =
    result.shownContent === undefined
      ? 'no content'
      : `title ${quote(result.shownTitle)}, content ${quote(result.shownContent)}`;
  if (!result.sealed)
    return `${RECIPIENT}'s client shows ${shown}, as an email of ${SENDER}'s, with nothing to tell it was changed.`;
  if (result.sealed.verified) return `${RECIPIENT}'s client shows ${shown}, verified.`;
  return `${RECIPIENT}'s client shows ${shown} and warns: ${result.sealed.warning ?? result.sealed.problem ?? ''}`;
}

async function signedIn<T>(lab: Lab, user: string, use: (client: MailClient) => Promise<T>) {
  const client = await lab.signIn(user);
  try {
    const value = await use(client);
    await client.terminate();
    return value;
  } finally {
    client.destroy();
  }
}

const sealedMailOf = (lab: Lab, client: MailClient): SealedMail =>
  new SealedMail(
    client,
    loadClientKeys(lab.keysOf(client.username), client.username, {
      passphrase: passwordOf(client.username),
    }).privateKey(),
    new Keyring(keyringFolder(lab.keysOf(client.username), client.username)),
  );

/** Classic: the only email there is, plain; the operator rewrites the account number. */
async function againstPlain(lab: Lab): Promise<EditOutcome[]> {
  const email = invoice('Invoice 42');
  await signedIn(lab, SENDER, (client) => client.send(email));
  editStored(lab, email.title, forgeAccount);
  const read = await signedIn(lab, RECIPIENT, (client) => readAsRecipient(client, email.title));
  return [outcome('content', read, undefined)];
}

/** Enhanced: sealed emails, each edited one way, then read and opened by the recipient. */
async function againstSealed(lab: Lab): Promise<EditOutcome[]> {
  const edits: { edit: EditOutcome['edit']; title: string; change: (title: string) => Edit }[] = [
    { edit: 'sealed body', title: 'Invoice 42', change: () => flipSealedByte },
    { edit: 'title line', title: 'Invoice 43', change: forgeTitle },
    { edit: 'plain in place of sealed', title: 'Invoice 44', change: () => plainInPlace },
  ];
  await signedIn(lab, SENDER, async (client) => {
    const sealed = sealedMailOf(lab, client);
    for (const { title } of edits) await sealed.send(invoice(title));
  });
  for (const { title, change } of edits) editStored(lab, title, change(title));
  return signedIn(lab, RECIPIENT, async (client) => {
    const sealed = sealedMailOf(lab, client);
    const outcomes: EditOutcome[] = [];
    for (const { edit, title } of edits) {
      const read = await readAsRecipient(client, title);
      outcomes.push(outcome(edit, read, await sealed.open(read)));
    }
    return outcomes;
  });
}

export async function tamperAtRest(lab: Lab): Promise<TamperingResult> {
  const edits = lab.protocol === 'classic' ? await againstPlain(lab) : await againstSealed(lab);
  // The downgrade is reported, not counted: a plain email is shown as unsealed, never as sealed.
  const counted = edits.filter((each) => each.edit !== 'plain in place of sealed');
  const succeeded = counted.some((each) => each.fooled);
  const lines = [
    lab.protocol === 'classic'
      ? `${SENDER} sends ${RECIPIENT} an invoice (plain: the ${lab.protocol} protocol protects it only on the wire).`
      : `${SENDER} sends ${RECIPIENT} three invoices, sealed (session version 3): encrypted for ${RECIPIENT} and ${SENDER}, signed by ${SENDER}.`,
    `The server's operator edits the stored files on disk: the account ${GENUINE_ACCOUNT} becomes ${FORGED_ACCOUNT} where it can be read, and the sealed bodies are altered where it cannot.`,
  ];
  for (const each of edits) lines.push(`Edit (${each.edit}): ${describe(each)}`);
  const downgrade = edits.find((each) => each.edit === 'plain in place of sealed');
  if (downgrade)
    lines.push(
      `LIMIT: a plain email put in place of a sealed one is shown as unsealed (no lock, no "verified"): only a reader who expects ${SENDER}'s mail sealed notices.`,
    );
  lines.push(
    succeeded
      ? `RESULT: attack succeeded: ${RECIPIENT} is shown the operator's account number as ${SENDER}'s.`
      : `RESULT: attack failed: no edit of a sealed email is shown as what ${SENDER} signed; the client warns and withholds what does not verify.`,
  );
  return { attack: 'tampering', protocol: lab.protocol, succeeded, lines, edits };
}
