/**
 * The local Sent folder of one user, as a desktop mail client keeps one: DATA/<user>/sent/,
 * one file per email sent through the gateway, `<id>.sealed`, sealed to the user's own key
 * (local-seal.ts), so that it reads only in a session whose password unlocked that key:
 *
 *   u32 length of the head record | head record | body record
 *
 * The head (what a listing needs) and the body (the content) are sealed apart, so that a
 * listing opens only the heads. Opened, they are a short header of the gateway's, a blank line,
 * then the email as the mail server stores it (section F), with the time it was sent:
 *
 *   Sealed-Mail-Sent: 1
 *   Protocol: classic
 *   Server: 127.0.0.1:13000
 *   Sealed: no
 *   Delivery: {"accepted":true,"reason":"","recipients":[...]}
 *
 *   From: client1
 *   To: client2;client3
 *   Time and Date: 2026-11-26 12:44:25.123456
 *   Title: Lunch
 *   Content Length: 23
 *   Content:
 *   At noon? ...
 *
 * `Sealed` and `Delivery` (the delivery report as JSON, its reasons cut to REASON_CHARS) were
 * added later: files without them are still read, and a listing shows them with no mark. They
 * are in the head, so the Sent list marks each item without opening its content.
 *
 * The id is the UTC send time and a random part (`20261126-124425-123456-9f3a1c2b`): names sort
 * by time, and an id that matches the pattern cannot name any other path. Files kept before the
 * Sent folder was sealed, `<id>.txt` in plain text, are still listed and read.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatReceivedTime,
  formatStoredEmail,
  parseStoredEmail,
  splitRecipients,
} from '../../protocol/email.js';
import { codePointLength } from '../../protocol/text.js';
import { isChannelKind } from '../../protocol/channel-kinds.js';
import type { ChannelKind, DeliveryReport, SentEmailView, SentItem } from '../messages.js';
import { readRegularFile } from '../../common/safe-files.js';
import { privateFolder, writeNewFile } from './private-files.js';
import { LocalSeal, LocalSealError, SEAL_OVERHEAD } from '../protocol-client/local-seal.js';

export const SENT_ID_PATTERN = /^\d{8}-\d{6}-\d{6}-[0-9a-f]{8}$/;
/** The newest emails a listing returns. */
export const MAX_SENT_LISTED = 10_000;

const HEADER_MARK = 'Sealed-Mail-Sent: 1';
/**
 * Enough for the gateway's header with a delivery report (100 recipients, each reason cut to
 * REASON_CHARS) and the email's header lines (100 recipients, a 100-character title).
 */
const HEAD_BYTES = 64 * 1024;
export const REASON_CHARS = 100;
/** A 1,000,000-character content of 4-byte characters, and its headers. */
const MAX_FILE_BYTES = 4_000_000 + HEAD_BYTES;
const LENGTH_BYTES = 4;
const SEALED_HEAD_BYTES = LENGTH_BYTES + HEAD_BYTES + SEAL_OVERHEAD;
const SEALED_FILE_BYTES = MAX_FILE_BYTES + LENGTH_BYTES + 2 * SEAL_OVERHEAD;
const CONTENT_MARK = '\nContent:\n';
const LEGACY = '.txt';
const SEALED = '.sealed';

export interface SentCopy {
  from: string;
  to: string[];
  title: string;
  content: string;
  sentAtMicros: number;
  protocol: ChannelKind;
  server: string;
  sealed: boolean;
  delivery?: DeliveryReport;
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

function newSentId(epochMicros: number): string {
  const date = new Date(Math.floor(epochMicros / 1000));
  const day = `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}`;
  const time = `${pad(date.getUTCHours(), 2)}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}`;
  return `${day}-${time}-${pad(epochMicros % 1_000_000, 6)}-${randomBytes(4).toString('hex')}`;
}

const fieldOf = (line: string | undefined, label: string): string | undefined =>
  line?.startsWith(label) ? line.slice(label.length) : undefined;

const STATUSES: readonly string[] = ['delivered', 'unknownUser', 'refused'];

/** A kept report read back; undefined for anything not shaped as one. */
function parseReport(json: string): DeliveryReport | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const report = value as Partial<DeliveryReport> | null;
  if (
    typeof report !== 'object' ||
    report === null ||
    typeof report.accepted !== 'boolean' ||
    typeof report.reason !== 'string' ||
    !Array.isArray(report.recipients) ||
    !report.recipients.every(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as { name?: unknown }).name === 'string' &&
        typeof (entry as { reason?: unknown }).reason === 'string' &&
        STATUSES.includes(String((entry as { status?: unknown }).status)),
    )
  )
    return undefined;
  return { accepted: report.accepted, reason: report.reason, recipients: report.recipients };
}

const cut = (text: string): string => Array.from(text).slice(0, REASON_CHARS).join('');

/** The report as kept: each reason cut, so that the head keeps to its bound. */
const keptReport = (report: DeliveryReport): DeliveryReport => ({
  accepted: report.accepted,
  reason: cut(report.reason),
  recipients: report.recipients.map(({ name, status, reason }) => ({
    name,
    status,
    reason: cut(reason),
  })),
});

interface Header {
  protocol: ChannelKind;
  server: string;
  sealed?: boolean;
  delivery?: DeliveryReport;
  rest: string;
}

/** The gateway's header; undefined when the text does not start with one. */
function parseHeader(text: string): Header | undefined {
  const end = text.indexOf('\n\n');
  if (end < 0) return undefined;
  const [mark, protocolLine, serverLine, ...extra] = text.slice(0, end).split('\n');
  const protocol = fieldOf(protocolLine, 'Protocol: ');
  const server = fieldOf(serverLine, 'Server: ');
  if (mark !== HEADER_MARK || !isChannelKind(protocol) || server === undefined) return undefined;
  const header: Header = { protocol, server, rest: text.slice(end + 2) };
  for (const line of extra) {
    const sealed = fieldOf(line, 'Sealed: ');
    const delivery = fieldOf(line, 'Delivery: ');
    if (sealed === 'yes' || sealed === 'no') header.sealed = sealed === 'yes';
    else if (delivery !== undefined) {
      const report = parseReport(delivery);
      if (report) header.delivery = report;
    } else return undefined;
  }
  return header;
}

/** What the header adds to an item: the sealed mark and the report, when kept. */
const marksOf = (header: Header): Pick<SentItem, 'sealed' | 'delivery'> => ({
  ...(header.sealed === undefined ? {} : { sealed: header.sealed }),
  ...(header.delivery === undefined ? {} : { delivery: header.delivery }),
});

/** A listing row from the first lines of a file, without reading its content. */
function parseItem(id: string, head: string): SentItem | undefined {
  const header = parseHeader(head);
  if (!header) return undefined;
  const [from, to, sentAt, title, length] = header.rest.split('\n', 5);
  const fields = {
    from: fieldOf(from, 'From: '),
    to: fieldOf(to, 'To: '),
    sentAt: fieldOf(sentAt, 'Time and Date: '),
    title: fieldOf(title, 'Title: '),
    contentLength: fieldOf(length, 'Content Length: '),
  };
  if (
    fields.from === undefined ||
    fields.to === undefined ||
    fields.sentAt === undefined ||
    fields.title === undefined ||
    fields.contentLength === undefined ||
    !/^\d{1,7}$/.test(fields.contentLength)
  )
    return undefined;
  return {
    id,
    to: splitRecipients(fields.to),
    title: fields.title,
    sentAt: fields.sentAt,
    contentLength: Number(fields.contentLength),
    protocol: header.protocol,
    server: header.server,
    ...marksOf(header),
  };
}

export class SentFolder {
  readonly #dataDir: string;
  readonly #username: string;
  readonly #seal: LocalSeal;

  /** `username` has passed the username pattern: it is one path segment. */
  constructor(dataDir: string, username: string, seal: LocalSeal) {
    this.#dataDir = dataDir;
    this.#username = username;
    this.#seal = seal;
  }

  /** Keeps a copy of a sent email, sealed to the user's key; returns its id. */
  keep(copy: SentCopy): string {
    const folder = this.#folder(true);
    if (folder === undefined) throw new Error('the Sent folder could not be made');
    const id = newSentId(copy.sentAtMicros);
    const email = { from: copy.from, to: copy.to, title: copy.title, content: copy.content };
    const text =
      `${HEADER_MARK}\nProtocol: ${copy.protocol}\nServer: ${copy.server}\n` +
      `Sealed: ${copy.sealed ? 'yes' : 'no'}\n` +
      (copy.delivery ? `Delivery: ${JSON.stringify(keptReport(copy.delivery))}\n` : '') +
      '\n' +
      formatStoredEmail(
        email,
        formatReceivedTime(copy.sentAtMicros),
        codePointLength(copy.content),
      );
    const split = text.indexOf(CONTENT_MARK) + CONTENT_MARK.length;
    const head = this.#seal.seal(`sent-head:${id}`, Buffer.from(text.slice(0, split), 'utf8'));
    const body = this.#seal.seal(`sent-body:${id}`, Buffer.from(text.slice(split), 'utf8'));
    const length = Buffer.alloc(LENGTH_BYTES);
    length.writeUInt32BE(head.length);
    writeNewFile(folder, `${id}${SEALED}`, Buffer.concat([length, head, body]));
    return id;
  }

  /** The newest MAX_SENT_LISTED emails, oldest first (as the inbox lists). */
  list(): SentItem[] {
    const folder = this.#folder(false);
    if (folder === undefined) return [];
    const files = new Map<string, string>();
    for (const name of readdirSync(folder)) {
      const suffix = [SEALED, LEGACY].find((end) => name.endsWith(end));
      if (suffix === undefined) continue;
      const id = name.slice(0, -suffix.length);
      if (SENT_ID_PATTERN.test(id)) files.set(id, name);
    }
    const ids = [...files.keys()].sort().slice(-MAX_SENT_LISTED);
    return ids.flatMap((id) => {
      const name = files.get(id) ?? '';
      let head: string | undefined;
      try {
        head = name.endsWith(SEALED)
          ? this.#openHead(
              id,
              readRegularFile(join(folder, name), SEALED_HEAD_BYTES, { whole: false }),
            )
          : readRegularFile(join(folder, name), HEAD_BYTES, { whole: false })?.toString('utf8');
      } catch (error) {
        // Altered, or sealed to another key: not this user's email, not listed.
        if (error instanceof LocalSealError) return [];
        throw error;
      }
      const item = head === undefined ? undefined : parseItem(id, head);
      return item ? [item] : [];
    });
  }

  /** One email whole; undefined when there is none of that id. `id` must match SENT_ID_PATTERN. */
  read(id: string): SentEmailView | undefined {
    if (!SENT_ID_PATTERN.test(id)) return undefined;
    const folder = this.#folder(false);
    if (folder === undefined) return undefined;
    const text = this.#readWhole(folder, id);
    if (text === undefined) return undefined;
    const header = parseHeader(text);
    if (!header) return undefined;
    const email = parseStoredEmail(header.rest);
    return {
      id,
      to: email.to,
      title: email.title,
      sentAt: email.receivedAt,
      contentLength: email.contentLength,
      protocol: header.protocol,
      server: header.server,
      ...marksOf(header),
      content: email.content,
    };
  }

  /** The opened text of a kept email, sealed or kept before sealing; undefined when none. */
  #readWhole(folder: string, id: string): string | undefined {
    const sealed = readRegularFile(join(folder, `${id}${SEALED}`), SEALED_FILE_BYTES);
    if (sealed) {
      const head = this.#openHead(id, sealed);
      const headLength = sealed.readUInt32BE(0);
      const body = this.#seal.open(`sent-body:${id}`, sealed.subarray(LENGTH_BYTES + headLength));
      return head === undefined ? undefined : head + body.toString('utf8');
    }
    return readRegularFile(join(folder, `${id}${LEGACY}`), MAX_FILE_BYTES)?.toString('utf8');
  }

  /** The head record's text; undefined for a file too short to hold one. */
  #openHead(id: string, data: Buffer | undefined): string | undefined {
    if (!data || data.length < LENGTH_BYTES) return undefined;
    const length = data.readUInt32BE(0);
    if (length > data.length - LENGTH_BYTES) return undefined;
    return this.#seal
      .open(`sent-head:${id}`, data.subarray(LENGTH_BYTES, LENGTH_BYTES + length))
      .toString('utf8');
  }

  #folder(create: boolean): string | undefined {
    return privateFolder(this.#dataDir, [this.#username, 'sent'], {
      create,
      shownRoot: 'the data folder',
    });
  }
}
