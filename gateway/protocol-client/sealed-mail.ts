/**
 * Sealed mail on the client machine: the user's private key and keyring over a MailClient.
 * Sealing finds each recipient's key (the keyring first, then the server, pinned on first
 * use); opening finds the signer's the same way and checks everything the sender signed. The
 * private key and the content keys never leave this process.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  EmailError,
  findEmailProblem,
  type Email,
  type StoredEmail,
} from '../../protocol/email.js';
import {
  fingerprintOfDigest,
  keyDigest,
  keyFingerprint,
} from '../../protocol/enhanced/fingerprint.js';
import { isProtocolError } from '../../protocol/errors.js';
import { MAX_CONTENT_CHARS, USERNAME_PATTERN } from '../../protocol/limits.js';
import { armour, unarmour } from '../../protocol/sealed/armour.js';
import { decodeSealedEmail, type SealedEmail } from '../../protocol/sealed/format.js';
import { alteredEnvelopeLines, openSealedEmail } from '../../protocol/sealed/open.js';
import { sealedWarning, type SealedProblem } from '../../protocol/sealed/problems.js';
import { sealEmail } from '../../protocol/sealed/seal.js';
import { isSealedArmour } from '../../protocol/sealed/suite.js';
import { codePointLength } from '../../protocol/text.js';
import { KeyChangedError, type KeyProvenance, type Keyring, type PinnedKey } from './keyring.js';
import type { EmailPlace, FirstCopy, OpenedEmails } from './opened-emails.js';
import type { SealerMemory } from './sealer-memory.js';
import type { DeliveryReport, Draft, MailClient, SendOptions } from './mail-client.js';

export interface KeyFingerprint {
  name: string;
  fingerprint: string;
}

export interface SealedSendResult {
  email: Email;
  /** Absent on sessions without delivery reports (the classic protocol). */
  report?: DeliveryReport;
  /** Everyone who can open it, the sender included, with the key it was sealed for. */
  readers: KeyFingerprint[];
  /** Keys the keyring did not have: fetched from the server and pinned for this send. */
  fromServer: KeyFingerprint[];
  /** Recipients no key was found for (no such user on the server): listed, unable to open it. */
  withoutKey: string[];
}

/**
 * What a send would do for one recipient: seal with a key (`keyring`, or the server's, `server`),
 * seal for the sender's own key (`own`), refuse (`changed`: not the pinned key), or not seal
 * (`noKey`: no key on this machine, nor on the server when the session can ask it).
 */
export interface RecipientSealing {
  name: string;
  state: 'keyring' | 'server' | 'own' | 'changed' | 'noKey';
  fingerprint?: string;
}

/** An email that cannot be sealed on this session (too long for its armour): nothing was sent. */
export class NotSealableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotSealableError';
  }
}

/**
 * What this user knows of a name an email claims to come from: whether they hold its key, and
 * whether it has sent them sealed mail before. Either makes a plain email in that name suspect.
 */
export interface SenderStanding {
  holdsKey: boolean;
  sealedBefore: boolean;
}

/** A sealed email as read: what its sender signed, or why it cannot be trusted. */
export interface OpenedEmail {
  /** The signature holds with the signer's pinned key, it was sealed for this user's key, and the server's lines are the signed ones. */
  verified: boolean;
  problem?: SealedProblem;
  /** What to tell the person when it is not verified. */
  warning?: string;
  /** The sender as the email names it (the signer, when the signature holds). */
  signedBy: string;
  signerFingerprint?: string;
  /** Where the signer's key came from, when the signature holds: the user's own, or its pin's provenance. */
  signerKey?: KeyProvenance | 'own';
  signedAtMs?: number;
  /** As signed when the content is shown; as the server's lines say otherwise. */
  from: string;
  to: string[];
  title: string;
  /** Who it was sealed for, with the fingerprint of the key used for each. */
  readers: KeyFingerprint[];
  /** Present only when what the sender signed holds. */
  content?: string;
  contentLength?: number;
  /** The signed email id (hex) when the signature holds; absent for format version 1, which has none. */
  emailId?: string;
  /**
   * Set when another copy of this email (the same signed id) was opened before at another
   * place of the inbox: this one is a copy the server stored again, not new mail.
   */
  copyOf?: FirstCopy;
}

export class SealedMail {
  readonly #client: MailClient;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  readonly #keyDigest: Buffer;
  readonly #keyring: Keyring;
  readonly #sealers: SealerMemory | undefined;
  readonly #opened: OpenedEmails | undefined;

  /**
   * `sealers` remembers who has sealed mail to this user (a plain email in their name is then
   * suspect); `opened` the ids of opened emails, to tell a second copy. Without them, neither is
   * told.
   */
  constructor(
    client: MailClient,
    privateKey: KeyObject,
    keyring: Keyring,
    memories: { sealers?: SealerMemory; opened?: OpenedEmails } = {},
  ) {
    this.#client = client;
    this.#privateKey = privateKey;
    this.#publicKey = createPublicKey(privateKey);
    this.#keyDigest = keyDigest(this.#publicKey);
    this.#keyring = keyring;
    this.#sealers = memories.sealers;
    this.#opened = memories.opened;
  }

  /**
   * Of each name, whether this user holds its key and has used it (a pin) and whether it has sealed mail to them before. A keyring that cannot be read counts
   * as holding no key (its problem is told where the keyring is used).
   */
  standings(names: readonly string[]): Map<string, SenderStanding> {
    let holders: Set<string>;
    try {
      holders = this.#keyring.holders();
    } catch {
      holders = new Set();
    }
    const sealers = this.#sealersKnown();
    return new Map(
      names.map((name) => [name, { holdsKey: holders.has(name), sealedBefore: sealers.has(name) }]),
    );
  }

  #sealersKnown(): ReadonlySet<string> {
    try {
      return this.#sealers?.all() ?? new Set();
    } catch {
      return new Set();
    }
  }

  get username(): string {
    return this.#client.username;
  }

  /** The fingerprint of this user's own key, for others to compare. */
  get fingerprint(): string {
    return keyFingerprint(this.#publicKey);
  }

  /** Whether the session can send sealed emails (the enhanced protocol, session version 3). */
  get canSeal(): boolean {
    return this.#client.capabilities.sealed;
  }

  get keyring(): Keyring {
    return this.#keyring;
  }

  /**
   * The pinned keys of users: from the keyring, else from the server (pinned now). Names with
   * no key anywhere are `missing`. Throws KeyChangedError when a key is not the pinned one.
   */
  async keysOf(names: readonly string[]): Promise<{ found: PinnedKey[]; missing: string[] }> {
    const found = new Map<string, PinnedKey>();
    for (const name of names) {
      const key = this.#keyring.find(name);
      if (key) found.set(name, key);
    }
    const absent = names.filter((name) => !found.has(name));
    if (absent.length > 0 && this.canSeal) {
      const fetched = await this.#client.fetchPublicKeys(absent);
      for (const name of absent) {
        const key = fetched.get(name);
        if (key) found.set(name, this.#keyring.adopt(name, key));
      }
    }
    return {
      found: names.flatMap((name) => found.get(name) ?? []),
      missing: names.filter((name) => !found.has(name)),
    };
  }

  /**
   * Whether an email to these users can be sealed for every one of them, and with which key,
   * without pinning anything (the composer asks as names are typed): the keyring's keys, and on
   * sessions that fetch keys, the server's for the others.
   */
  async sealingPlan(names: readonly string[]): Promise<RecipientSealing[]> {
    const others = [...new Set(names)].filter((name) => USERNAME_PATTERN.test(name));
    const plan = new Map<string, RecipientSealing>();
    for (const name of others) {
      if (name === this.username) {
        plan.set(name, { name, state: 'own', fingerprint: this.fingerprint });
        continue;
      }
      const seen = this.#keyring.peek(name);
      if (seen) plan.set(name, { name, ...seen });
    }
    const absent = others.filter((name) => !plan.has(name));
    if (absent.length > 0 && this.canSeal) {
      const fetched = await this.#client.fetchPublicKeys(absent);
      for (const name of absent) {
        const key = fetched.get(name);
        const seen = key && this.#keyring.peek(name, key);
        if (seen) plan.set(name, { name, ...seen });
      }
    }
    return others.map((name) => plan.get(name) ?? { name, state: 'noKey' });
  }

  /**
   * Seals a draft for its recipients and the sender, signs it and sends it, on any session. Throws EmailError
   * for a draft that may not be sent, KeyChangedError (nothing sent) when a recipient's key is
   * not the one pinned, NOT_SUPPORTED on sessions that cannot send sealed emails. A retry of
   * one email passes the same `sendId` (mail-client.ts): it is sealed anew, and the server,
   * which has stored the first, answers with its report.
   */
  async send(draft: Draft, options: SendOptions = {}): Promise<SealedSendResult> {
    const recipients = [...new Set(draft.to)];
    const email: Email = { ...draft, to: recipients, from: this.username };
    const problem = findEmailProblem(email);
    if (problem) throw problem;
    const notName = recipients.find((name) => !USERNAME_PATTERN.test(name));
    if (notName !== undefined)
      throw new EmailError('BAD_RECIPIENT', `"${notName.slice(0, 80)}" is not a username`);
    const others = recipients.filter((name) => name !== this.username);
    const { found, missing } = await this.keysOf(others);
    const sealed = sealEmail({
      sender: this.username,
      senderPrivateKey: this.#privateKey,
      title: email.title,
      content: email.content,
      recipients,
      readers: found.map((key) => ({ name: key.name, publicKey: key.publicKey })),
    });
    // Session version 3 carries the sealed email itself, and the server checks its signature;
    // any other session carries it as the armoured content, which a server stores as it is.
    let report: DeliveryReport | undefined;
    if (this.canSeal) report = await this.#client.sendSealed(sealed, options);
    else {
      const content = armour(sealed);
      if (content.length > MAX_CONTENT_CHARS)
        throw new NotSealableError(
          `sealed, it would be ${content.length} characters, and this protocol carries at most ${MAX_CONTENT_CHARS}: shorten it, or send it unsealed`,
        );
      ({ report } = await this.#client.send(
        { to: recipients, title: email.title, content },
        options,
      ));
    }
    return {
      email,
      report,
      readers: [
        ...found.map(({ name, fingerprint }) => ({ name, fingerprint })),
        { name: this.username, fingerprint: this.fingerprint },
      ],
      fromServer: found
        .filter((key) => key.source === 'server' && key.pinnedNow)
        .map(({ name, fingerprint }) => ({ name, fingerprint })),
      withoutKey: missing,
    };
  }

  /**
   * Opens a read email when it is a sealed one; undefined for a plain email. `serverId` is the
   * email's id on the server where the session reads by id: with it, a copy stored with the
   * same receive time is still told apart.
   */
  async open(stored: StoredEmail, serverId?: string): Promise<OpenedEmail | undefined> {
    if (!isSealedArmour(stored.content)) return undefined;
    let sealed: SealedEmail;
    try {
      sealed = decodeSealedEmail(unarmour(stored.content));
    } catch (error) {
      if (!isProtocolError(error, 'INVALID_SEALED_EMAIL')) throw error;
      return this.#refused(stored, 'MALFORMED', error.message, {
        signer: stored.from,
        readers: [],
      });
    }
    const readers = sealed.keys.map((key) => ({
      name: key.name,
      fingerprint: fingerprintOfDigest(key.fingerprint),
    }));
    const facts = { signer: sealed.sender, readers };
    let signer:
      { publicKey: KeyObject; fingerprint: string; provenance: KeyProvenance | 'own' } | undefined;
    try {
      signer =
        sealed.sender === this.username
          ? { publicKey: this.#publicKey, fingerprint: this.fingerprint, provenance: 'own' }
          : (await this.keysOf([sealed.sender])).found[0];
    } catch (error) {
      if (!(error instanceof KeyChangedError)) throw error;
      return this.#refused(stored, 'KEY_CHANGED', error.message, facts);
    }
    if (!signer) return this.#refused(stored, 'UNKNOWN_SIGNER', '', facts);
    const outcome = openSealedEmail(
      sealed,
      { name: this.username, privateKey: this.#privateKey, keyDigest: this.#keyDigest },
      signer.publicKey,
    );
    if ('problem' in outcome) return this.#refused(stored, outcome.problem, '', facts);
    // The signature holds: this sender seals, and a plain email in their name is suspect now.
    if (sealed.sender !== this.username) this.#rememberSealer(sealed.sender);
    const altered = alteredEnvelopeLines(stored, sealed);
    const opened: OpenedEmail = {
      verified: altered.length === 0,
      signedBy: sealed.sender,
      signerFingerprint: signer.fingerprint,
      signerKey: signer.provenance,
      signedAtMs: sealed.signedAtMs,
      from: sealed.sender,
      to: sealed.recipients,
      title: sealed.title,
      readers,
      content: outcome.content,
      contentLength: codePointLength(outcome.content),
      ...this.#copyFacts(sealed, {
        receivedAt: stored.receivedAt,
        ...(serverId === undefined ? {} : { serverId }),
      }),
    };
    if (altered.length === 0) return opened;
    const detail = `${altered.join(' and ')} line${altered.length > 1 ? 's' : ''}`;
    return {
      ...opened,
      problem: 'ENVELOPE_ALTERED',
      warning: sealedWarning('ENVELOPE_ALTERED', {
        ...facts,
        readers: readers.map((r) => r.name),
        detail,
      }),
    };
  }

  /** A memory that cannot be written costs a future warning, never the email being read. */
  #rememberSealer(name: string): void {
    try {
      this.#sealers?.remember(name);
    } catch {
      // The keyring's folder problems are reported where the keyring is used.
    }
  }

  /** The email's id, and where its first copy was when this is another one. */
  #copyFacts(sealed: SealedEmail, place: EmailPlace): Pick<OpenedEmail, 'emailId' | 'copyOf'> {
    if (!sealed.emailId) return {};
    const emailId = sealed.emailId.toString('hex');
    const copyOf = this.#opened?.opened(sealed.emailId, place);
    return copyOf ? { emailId, copyOf } : { emailId };
  }

  /** Nothing of it can be trusted: the server's lines are shown, with the warning, and no content. */
  #refused(
    stored: StoredEmail,
    problem: SealedProblem,
    detail: string,
    facts: { signer: string; readers: KeyFingerprint[] },
  ): OpenedEmail {
    return {
      verified: false,
      problem,
      warning: sealedWarning(problem, {
        signer: facts.signer,
        readers: facts.readers.map((reader) => reader.name),
        detail,
      }),
      signedBy: facts.signer,
      from: stored.from,
      to: stored.to,
      title: stored.title,
      readers: facts.readers,
    };
  }
}
