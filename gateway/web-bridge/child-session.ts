/**
 * What a session child does: it holds one user's protocol session and private key (which signs
 * the login, and seals and opens emails) and answers the main process with the browser's Reply
 * messages. No key, private or of an email's content, is ever in a reply.
 */
import type { KeyObject } from 'node:crypto';
import { isConnectionLost } from '../../protocol/errors.js';
import type { ClientKeys } from '../../protocol/login.js';
import type { Keyring, KeyringEntry } from '../protocol-client/keyring.js';
import { loadClientKeys } from '../protocol-client/keys.js';
import type { MailClient } from '../protocol-client/mail-client.js';
import { describeServers, formatServer } from '../protocol-client/server-list.js';
import { openSession } from '../protocol-client/session.js';
import type { Reply, SessionEndReason } from '../messages.js';
import type { ChildSignIn, ParentToChild } from './child-protocol.js';
import type { NewMailWatch } from './new-mail.js';
import { searchReply, type Indexer } from './indexer.js';
import { sessionParts } from './session-parts.js';
import { GatewayError, sessionFailure, signInFailure } from './errors.js';
import { SENT_ID_PATTERN } from './sent-folder.js';
import { toEmailView, toItems, type SignedInAccount } from './email-views.js';
import { answerMarkRequest } from './read-marks.js';
import { keepCopy, useSentFolder, type Warn } from './sent-copies.js';

export interface ChildIo {
  /** Resolves once the message is handed to the IPC channel. */
  reply(message: Reply): Promise<void>;
  /** Ends the child; called once, after the last reply. */
  exit(code: number): void;
  /** The gateway's log (stderr): details the browser is not shown. */
  warn(details: Record<string, unknown>, message: string): void;
}

/** Reads the private key at once (a missing key is reported before the password is sent) and only once. */
function eagerKeys(keys: ClientKeys): ClientKeys {
  const privateKey: KeyObject = keys.privateKey();
  return { ...keys, privateKey: () => privateKey };
}

export class ChildSession {
  readonly #io: ChildIo;
  #client: MailClient | undefined;
  #account: SignedInAccount | undefined;
  #signingIn = false;
  #ending = false;
  #newMail: NewMailWatch | undefined;
  #indexer: Indexer | undefined;

  readonly #warn: Warn;

  constructor(io: ChildIo) {
    this.#io = io;
    this.#warn = (details, message) => {
      io.warn(details, message);
    };
  }

  async handle(message: ParentToChild): Promise<void> {
    if (this.#ending) return;
    switch (message.type) {
      case 'signIn':
        return this.#signIn(message);
      case 'listInbox':
        return this.#run(message.id, async (client, account) => {
          const { rows } = await client.listInbox();
          this.#newMail?.seen(rows);
          this.#indexer?.listed(rows);
          const items = toItems(rows, account.sealed, account.security);
          return { type: 'inbox', id: message.id, items };
        });
      case 'read':
        return this.#run(message.id, async (client, account) => {
          const byId = message.emailId !== undefined && client.capabilities.emailIds;
          const result = await client.read(byId ? { id: message.emailId ?? '' } : message.index);
          if (result.kind === 'refused') throw new GatewayError('INVALID_INDEX', result.text);
          const email = await toEmailView(
            message.index,
            result,
            account,
            byId ? message.emailId : undefined,
          );
          return { type: 'email', id: message.id, email };
        });
      case 'delete':
        return this.#run(message.id, async (client) => {
          if (!client.capabilities.delete)
            throw new GatewayError(
              'NOT_SUPPORTED',
              'this session cannot delete: deleting needs the enhanced protocol',
            );
          if (!(await client.delete(message.emailId)))
            throw new GatewayError('NOT_FOUND', 'that email is no longer in the inbox');
          this.#indexer?.removed(message.emailId);
          return { type: 'deleted', id: message.id, emailId: message.emailId };
        });
      case 'sealingPlan':
        return this.#run(message.id, async (_client, account) => ({
          type: 'sealingPlan',
          id: message.id,
          recipients: await account.sealed.sealingPlan(message.to),
        }));
      case 'send':
        return this.#run(message.id, async (client, account) => {
          const draft = { to: message.to, title: message.title, content: message.content };
          // The browser's id, so that its retry after a lost answer is stored once.
          const options = message.sendId === undefined ? {} : { sendId: message.sendId };
          // Sealed whenever it can be sealed for every recipient, on either protocol; never
          // plain by surprise: an email that cannot be is sent only when the person chose to.
          if (account.sealed.canSeal || !message.unsealed) {
            if (!account.sealed.canSeal) {
              // A session that cannot ask the server for keys seals with the keyring's alone.
              const plan = await account.sealed.sealingPlan(message.to);
              const without = plan.filter((entry) => entry.state === 'noKey');
              if (without.length > 0)
                throw new GatewayError(
                  'NOT_SEALABLE',
                  `it cannot be sealed for ${without.map((entry) => entry.name).join(', ')}: this computer has no key of theirs, and this session cannot ask the server for one. Send it unsealed, or remove them.`,
                );
            }
            const { report, readers, fromServer, withoutKey } = await account.sealed.send(
              draft,
              options,
            );
            return {
              type: 'sent',
              id: message.id,
              recipients: message.to,
              ...(report ? { delivery: report } : {}),
              sealed: { readers, fromServer, withoutKey },
              ...keepCopy(this.#warn, account, message, { sealed: true, delivery: report }),
            };
          }
          const { report } = await client.send(draft, options);
          return {
            type: 'sent',
            id: message.id,
            recipients: message.to,
            ...(report ? { delivery: report } : {}),
            ...keepCopy(this.#warn, account, message, {
              sealed: false,
              ...(report ? { delivery: report } : {}),
            }),
          };
        });
      case 'listSent':
        return this.#run(message.id, (_client, account) => {
          const items = useSentFolder(this.#warn, () => account.sent.list());
          return Promise.resolve({ type: 'sentList', id: message.id, items });
        });
      case 'readSent':
        return this.#run(message.id, (_client, account) => {
          if (!SENT_ID_PATTERN.test(message.sentId))
            throw new GatewayError('BAD_REQUEST', 'that is not the id of a sent email');
          const email = useSentFolder(this.#warn, () => account.sent.read(message.sentId));
          if (!email) throw new GatewayError('NOT_FOUND', 'there is no sent email of that id');
          return Promise.resolve({ type: 'sentEmail', id: message.id, email });
        });
      case 'verifyKey':
        return this.#run(message.id, (_client, account) => {
          const entry = account.sealed.keyring.markVerified(message.name, message.fingerprint);
          return Promise.resolve({ type: 'keyVerified', id: message.id, entry });
        });
      case 'search':
        return this.#io.reply(searchReply(this.#indexer, message));
      case 'loadMarks':
      case 'setRead':
      case 'moveToTrash':
      case 'emptyTrash':
        return this.#run(message.id, (client, account) =>
          answerMarkRequest(message, client, account),
        );
      case 'signOut':
        return this.#signOut(message.id);
    }
  }

  /** The main process went away: end the protocol session politely, then leave. */
  async abandon(): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    this.#newMail?.stop();
    this.#indexer?.stop();
    await this.#terminate();
    this.#io.exit(0);
  }

  async #signIn(message: ChildSignIn): Promise<void> {
    if (this.#client || this.#signingIn) {
      await this.#io.reply({
        type: 'error',
        id: message.id,
        code: 'ALREADY_SIGNED_IN',
        message: 'this session is already signed in',
      });
      return;
    }
    this.#signingIn = true;
    let server = describeServers(message.host, message.port);
    let keys: ClientKeys;
    try {
      // Unlocked with the typed password before any byte goes to a server: a wrong one fails
      // here, and a server's "accepted" never unlocks the key, the Sent folder or the keyring.
      const loaded = loadClientKeys(message.keysDir, message.username, {
        passphrase: message.password,
      });
      if (loaded.privateKeyAtRest === 'plain')
        this.#io.warn(
          { username: message.username },
          'the private key is not encrypted at rest; run npm run encrypt-key on it',
        );
      keys = eagerKeys(loaded);
      this.#client = await openSession({
        host: message.host,
        port: message.port,
        credentials: { username: message.username, password: message.password },
        keys,
        channel: message.protocol,
        connectTimeoutMs: message.connectTimeoutMs,
        replyTimeoutMs: message.replyTimeoutMs,
        onServer: (choice) => {
          server = formatServer(choice.server);
        },
      });
    } catch (error) {
      const failure = signInFailure(error, { username: message.username, server });
      if (failure.code !== 'WRONG_CREDENTIALS')
        this.#io.warn({ username: message.username, server, err: error }, 'sign-in failed');
      this.#ending = true;
      await this.#io.reply({
        type: 'error',
        id: message.id,
        code: failure.code,
        message: failure.message,
      });
      this.#io.exit(0);
      return;
    } finally {
      this.#signingIn = false;
    }
    const client = this.#client;
    const { account, keyring, newMail, indexer } = sessionParts(
      client,
      keys.privateKey(),
      { ...message, server },
      this.#io,
      (error) => this.#endAfterFailure(error),
    );
    const { sealed } = account;
    this.#account = account;
    this.#newMail = newMail;
    this.#indexer = indexer;
    const { deliveryReports, emailIds, delete: deletes, sendIds } = client.capabilities;
    const fingerprint = client.serverFingerprint;
    await this.#io.reply({
      type: 'signedIn',
      id: message.id,
      username: message.username,
      server,
      protocol: message.protocol,
      ...(fingerprint === undefined ? {} : { serverFingerprint: fingerprint }),
      capabilities: {
        deliveryReports,
        emailIds,
        delete: deletes,
        pushedMail: newMail.pushed,
        sealed: sealed.canSeal,
        sendIds,
      },
      keyFingerprint: sealed.fingerprint,
      keyring: this.#keyringEntries(keyring),
    });
    // A server that goes away is told to the browser at once, not at its next request.
    void client.connectionEnded.then((reason) => this.#endAfterFailure(reason));
    newMail.start();
  }

  /** The keyring's keys to show; a keyring that cannot be read shows none (the gateway's log says why). */
  #keyringEntries(keyring: Keyring): KeyringEntry[] {
    try {
      return keyring.list();
    } catch (error) {
      this.#io.warn({ err: error }, 'the keyring cannot be read');
      return [];
    }
  }

  async #run(
    id: number,
    operation: (client: MailClient, account: SignedInAccount) => Promise<Reply>,
  ): Promise<void> {
    const client = this.#client;
    const account = this.#account;
    if (!client || !account) {
      await this.#io.reply({ type: 'error', id, code: 'NOT_SIGNED_IN', message: 'sign in first' });
      return;
    }
    let reply: Reply;
    try {
      const watch = this.#newMail;
      reply = watch
        ? await watch.around(() => operation(client, account))
        : await operation(client, account);
    } catch (error) {
      const failure = sessionFailure(error);
      if (failure.code === 'INTERNAL') this.#io.warn({ err: error }, 'request failed');
      await this.#io.reply({
        type: 'error',
        id,
        code: client.ended ? 'SESSION_ENDED' : failure.code,
        message: failure.message,
      });
      if (client.ended) await this.#endAfterFailure(error);
      return;
    }
    await this.#io.reply(reply);
  }

  async #signOut(id: number | null): Promise<void> {
    this.#ending = true;
    this.#newMail?.stop();
    this.#indexer?.stop();
    await this.#terminate();
    if (id !== null) await this.#io.reply({ type: 'signedOut', id });
    this.#io.exit(0);
  }

  /** The protocol session broke: tell the browser why, then leave. */
  async #endAfterFailure(error: unknown): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    this.#newMail?.stop();
    this.#indexer?.stop();
    this.#client?.destroy();
    const lost = isConnectionLost(error);
    const reason: SessionEndReason = lost ? 'serverClosed' : 'error';
    const message = lost
      ? 'The connection to the mail server was lost.'
      : `The session with the mail server failed: ${error instanceof Error ? error.message : String(error)}`;
    await this.#io.reply({ type: 'sessionEnded', reason, message });
    this.#io.exit(0);
  }

  /** Menu choice 4; a server that is already gone is not an error here. */
  async #terminate(): Promise<void> {
    const client = this.#client;
    if (!client || client.ended) return;
    try {
      await client.terminate();
    } catch {
      client.destroy();
    }
  }
}
