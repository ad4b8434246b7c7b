/**
 * The seed-files store's record of send ids (session version 5): one small file per (sender,
 * send id), `HOME/.sends/<sender>/<send id>.json`, written with common/safe-files.ts.
 *
 * The record is made in two steps around the delivery, so that a crash between storing the
 * copies and recording them can never lead to a second copy:
 *
 * 1. a claim, before any copy is linked: the sender, title and receive time of this delivery,
 *    its recipients and the id of the process storing it. It is created with `link` (place
 *    `new`), so of two deliveries with one send id only one can make it, in any process;
 * 2. the outcomes, once every copy is stored: the claim is replaced (`rename`) by the record
 *    with each recipient's outcome.
 *
 * A claim whose process no longer runs was abandoned mid-delivery: whoever finds it completes
 * it from what the inboxes hold, each copy recognised by the claim's sender, title and receive
 * time (to the microsecond); a recipient without one is recorded as not stored. Nothing is
 * stored when completing, so two processes that complete one claim write the same record.
 * Only when no copy at all was stored is the claim removed, so that the retry stores the email.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  isRunning,
  readRegularFile,
  removeFileDurably,
  writeFileSafely,
} from '../../common/safe-files.js';
import { MAX_SEND_RECORDS, type DeliveryOutcome } from './mail-store.js';

/** What a claim says: enough to recognise the copies of the delivery it names. */
export interface SendClaim {
  pid: number;
  from: string;
  title: string;
  receivedAt: string;
  /** The known recipients, to each of whom a copy is stored. */
  recipients: string[];
  /** Every recipient the email named (the report's list). */
  named: string[];
}

export interface SendRecord extends SendClaim {
  /** Present once the delivery is complete. */
  outcomes?: DeliveryOutcome[];
}

/** A record holds at most 100 recipients of at most 1 KiB each, with their outcomes. */
const MAX_RECORD_BYTES = 1024 * 1024;
/** Records are pruned to MAX_SEND_RECORDS once a sender has this many more. */
const PRUNE_SLACK = Math.ceil(MAX_SEND_RECORDS / 10);
const SUFFIX = '.json';

function isOutcome(value: unknown): value is DeliveryOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const outcome = value as Record<string, unknown>;
  if (typeof outcome.recipient !== 'string') return false;
  switch (outcome.status) {
    case 'delivered':
      return typeof outcome.id === 'string';
    case 'overQuota':
      return true;
    case 'failed':
      return typeof outcome.reason === 'string';
    default:
      return false;
  }
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** A record read back; undefined when the file is not one (it is then treated as absent). */
function parseRecord(text: string): SendRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (
    !Number.isSafeInteger(record.pid) ||
    typeof record.from !== 'string' ||
    typeof record.title !== 'string' ||
    typeof record.receivedAt !== 'string' ||
    !isStrings(record.recipients) ||
    !isStrings(record.named) ||
    (record.outcomes !== undefined &&
      !(Array.isArray(record.outcomes) && record.outcomes.every(isOutcome)))
  )
    return undefined;
  return record as unknown as SendRecord;
}

export class SendBook {
  readonly #folder: (sender: string) => string;

  /** `folder` gives a sender's folder of records, made when missing. */
  constructor(folder: (sender: string) => string) {
    this.#folder = folder;
  }

  /** Claims a send id for a delivery about to be stored; false when it has a claim or record. */
  claim(sender: string, sendId: string, claim: SendClaim): boolean {
    try {
      writeFileSafely(this.#folder(sender), sendId + SUFFIX, JSON.stringify(claim), {
        mode: 0o600,
        place: 'new',
      });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  /** The claim or record of a send id; undefined when there is none (or it is not one). */
  read(sender: string, sendId: string): SendRecord | undefined {
    const bytes = readRegularFile(join(this.#folder(sender), sendId + SUFFIX), MAX_RECORD_BYTES);
    return bytes === undefined ? undefined : parseRecord(bytes.toString('utf8'));
  }

  /** Whether a claim without outcomes was left by a process that is gone. */
  static abandoned(record: SendRecord): boolean {
    return record.outcomes === undefined && (record.pid === process.pid || !isRunning(record.pid));
  }

  /** The delivery is complete: the claim becomes the record, durably, before the report goes. */
  complete(sender: string, sendId: string, record: SendRecord): void {
    writeFileSafely(this.#folder(sender), sendId + SUFFIX, JSON.stringify(record), {
      mode: 0o600,
      place: 'replace',
    });
  }

  /** Nothing was stored under this claim: it goes, so that a retry stores the email. */
  release(sender: string, sendId: string): void {
    removeFileDurably(this.#folder(sender), sendId + SUFFIX);
  }

  /** Keeps the newest MAX_SEND_RECORDS of a sender, once it has PRUNE_SLACK more. */
  prune(sender: string): void {
    const folder = this.#folder(sender);
    const names = readdirSync(folder).filter((name) => name.endsWith(SUFFIX));
    if (names.length <= MAX_SEND_RECORDS + PRUNE_SLACK) return;
    const aged = names
      .map((name) => {
        try {
          return { name, modified: statSync(join(folder, name)).mtimeMs };
        } catch {
          return { name, modified: 0 };
        }
      })
      .sort((a, b) => a.modified - b.modified);
    for (const { name } of aged.slice(0, names.length - MAX_SEND_RECORDS))
      removeFileDurably(folder, name);
  }
}
