import type {
  DeliveryReport,
  RecipientDelivery,
  Reply,
  SealedSend,
} from '../../../gateway/messages.js';

export type SentReply = Extract<Reply, { type: 'sent' }>;

/** What a send came to, as the person is told it: a notice, and the details behind it. */
export interface SendOutcome {
  tone: 'success' | 'error';
  /** The notice's text (two lines at most on screen; all of it is spoken). */
  summary: string;
  title: string;
  /** Each recipient's result; undefined when the protocol reports none (classic). */
  recipients?: RecipientDelivery[];
  /** Handed to the server, on a session without delivery reports: nothing more is known. */
  handedTo?: string[];
  /** Why the server refused the email as a whole (nothing was stored). */
  refusal?: string;
  /** Why the gateway kept no copy in Sent. */
  copyProblem?: string;
  /** How it was sealed; undefined when it went unsealed (the classic protocol). */
  sealed?: SealedSend;
  /** Whether the notice leaves out something the details say. */
  hasDetails: boolean;
}

/** Beside the name of a recipient: what became of their copy. */
export function recipientResult(recipient: RecipientDelivery): string {
  switch (recipient.status) {
    case 'delivered':
      return 'delivered';
    case 'unknownUser':
      return 'no such user on the server';
    case 'refused':
      return recipient.reason === '' ? 'refused' : `refused: ${recipient.reason}`;
  }
}

const names = (recipients: readonly RecipientDelivery[]): string =>
  recipients.map((recipient) => recipient.name).join(', ');

/** The Sent copy's problem without the gateway's lead-in, which the UI says its own way. */
export function copyProblemText(problem: string): string {
  return problem.replace(/^no copy was kept:\s*/i, '');
}

export const NO_REPORT_NOTE = 'The classic protocol cannot tell whether it was delivered.';

/** A list of names as a sentence says it: "a", "a and b", "a, b and c". */
export function spokenList(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

/**
 * What the notice says of a sealed email: who can read it, keys to compare, names without a
 * key. `username` is the sender, said as "you".
 */
export function sealedSummary(sealed: SealedSend, username: string): string {
  const readers = sealed.readers.map((reader) => (reader.name === username ? 'you' : reader.name));
  const parts = [`Sealed: only ${spokenList(readers)} can read it.`];
  if (sealed.withoutKey.length > 0)
    parts.push(
      `${spokenList(sealed.withoutKey)} ${sealed.withoutKey.length === 1 ? 'has' : 'have'} no key and cannot read it.`,
    );
  if (sealed.fromServer.length > 0)
    parts.push(
      `The key${sealed.fromServer.length === 1 ? '' : 's'} of ${spokenList(sealed.fromServer.map((key) => key.name))} came from the server: compare ${sealed.fromServer.length === 1 ? 'it' : 'them'} (Details).`,
    );
  return parts.join(' ');
}

/** The outcome of a `sent` reply for the notice and the details; `username` is the sender. */
export function sendOutcome(reply: SentReply, title: string, username = ''): SendOutcome {
  const outcome = plainOutcome(reply, title);
  const { sealed } = reply;
  if (!sealed || outcome.refusal !== undefined) return outcome;
  const noCopy = ' Sent has no copy of it.';
  const base = outcome.summary.endsWith(noCopy)
    ? outcome.summary.slice(0, -noCopy.length)
    : outcome.summary;
  return {
    ...outcome,
    summary: `${base} ${sealedSummary(sealed, username)}${outcome.copyProblem === undefined ? '' : noCopy}`,
    sealed,
    hasDetails: outcome.hasDetails || sealed.fromServer.length > 0 || sealed.withoutKey.length > 0,
  };
}

function plainOutcome(reply: SentReply, title: string): SendOutcome {
  const copyProblem =
    reply.sentCopyProblem === undefined ? undefined : copyProblemText(reply.sentCopyProblem);
  const noCopy = copyProblem === undefined ? '' : ' Sent has no copy of it.';
  const report = reply.delivery;
  if (!report) {
    return {
      tone: 'success',
      summary: `Handed to the server for ${reply.recipients.join(', ')}. ${NO_REPORT_NOTE}${noCopy}`,
      title,
      handedTo: reply.recipients,
      ...(copyProblem === undefined ? {} : { copyProblem }),
      hasDetails: copyProblem !== undefined,
    };
  }
  return reportOutcome(report, title, copyProblem, noCopy);
}

function reportOutcome(
  report: DeliveryReport,
  title: string,
  copyProblem: string | undefined,
  noCopy: string,
): SendOutcome {
  const extra = copyProblem === undefined ? {} : { copyProblem };
  if (!report.accepted) {
    const reason = report.reason === '' ? 'no reason given' : report.reason;
    return {
      tone: 'error',
      summary: `The server refused the email: ${reason}. It was delivered to no one.`,
      title,
      refusal: reason,
      recipients: report.recipients,
      ...extra,
      hasDetails: true,
    };
  }
  const delivered = report.recipients.filter((recipient) => recipient.status === 'delivered');
  const missed = report.recipients.filter((recipient) => recipient.status !== 'delivered');
  const failures = missed
    .map((recipient) => `${recipient.name} (${recipientResult(recipient)})`)
    .join(', ');
  const summary =
    missed.length === 0
      ? `Delivered to ${names(delivered)}.`
      : delivered.length === 0
        ? `Not delivered: ${failures}.`
        : `Delivered to ${names(delivered)}. Not delivered: ${failures}.`;
  return {
    tone: missed.length === 0 ? 'success' : 'error',
    summary: `${summary}${noCopy}`,
    title,
    recipients: report.recipients,
    ...extra,
    hasDetails: missed.length > 0 || copyProblem !== undefined,
  };
}

/** Delivery reports kept per user on this device, by Sent id: at most this many, the newest. */
export const KEPT_REPORTS = 500;

export type KeptReports = Readonly<Record<string, RecipientDelivery[]>>;

const STATUSES: readonly string[] = ['delivered', 'unknownUser', 'refused'];

function isRecipientDelivery(value: unknown): value is RecipientDelivery {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.name === 'string' &&
    typeof entry.reason === 'string' &&
    typeof entry.status === 'string' &&
    STATUSES.includes(entry.status)
  );
}

/** Reads back kept reports, leaving out anything not shaped as one. */
export function parseReports(value: unknown): KeptReports {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const reports: Record<string, RecipientDelivery[]> = {};
  for (const [id, recipients] of Object.entries(value)) {
    if (Array.isArray(recipients) && recipients.every(isRecipientDelivery))
      reports[id] = recipients;
  }
  return reports;
}

/** The reports with one more; Sent ids begin with the time sent, so the oldest go first. */
export function withReport(
  reports: KeptReports,
  sentId: string,
  recipients: RecipientDelivery[],
  limit = KEPT_REPORTS,
): KeptReports {
  const entries = Object.entries({ ...reports, [sentId]: recipients });
  if (entries.length <= limit) return Object.fromEntries(entries);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.slice(entries.length - limit));
}

/** How many recipients of a kept report got no copy (for the Sent list). */
export function missedCount(recipients: readonly RecipientDelivery[] | undefined): number {
  return recipients?.filter((recipient) => recipient.status !== 'delivered').length ?? 0;
}
