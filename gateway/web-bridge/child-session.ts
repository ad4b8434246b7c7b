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
import { serverKeyAdoptedText } from '../protocol-client/server-key-update.js';
import { describeServers, formatServer } from '../protocol-client/server-list.js';
import { openSession } from '../protocol-client/session.js';
import type { Reply, SessionEndReason } from '../messages.js';
import type { ChildSignIn, ParentToChild } from './child-protocol.js';
import type { NewMailWatch } from './new-mail.js';
import { searchReply, type Indexer } from './indexer.js';
import { sessionParts, type SessionParts } from './session-parts.js';
import { GatewayError, sessionFailure, signInFailure } from './errors.js';
import { sendEmail } from './child-sending.js';
import { endOfReconnect, isPermanentFailure, Reconnector } from './reconnect.js';
import { SENT_ID_PATTERN } from './sent-folder.js';
import { toEmailView, toItems, type SignedInAccount } from './email-views.js';
import { answerMarkRequest } from './read-marks.js';
import { useSentFolder } from './sent-copies.js';

export interface ChildIo {
  /** Resolves once the message is handed to the IPC channel. */
  reply(message: Reply): Promise<void>;
  /** Ends the child; called once, after the last reply. */
  exit(code: number): void;
  /** The gateway's log (stderr): details the browser is not shown. */
  warn(details: Record<string, unknown>, message: string): void;
}

/** Whether the client's connection has ended (read afresh: it changes while a request runs). */
const hasEnded = (client: MailClient): boolean => client.ended;

/** Reads the private key at once (a missing key is reported before the password is sent) and only once. */
/** The line that tells the user the server's new key was adopted at this sign-in, if it was. */
function serverKeyNotice(client: MailClient): { serverKeyReplaced?: string } {
  const adopted = client.serverKeyAdopted;
  return adopted ? { serverKeyReplaced: serverKeyAdoptedText(adopted) } : {};
}

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
  /** Set once signed in: connects again when the server goes away (reconnect.ts). */
  #reconnector: Reconnector | undefined;
  /** A new session's SealedMail and new-mail watch for a client (after a reconnection too). */
  #bind: ((client: MailClient) => SessionParts) | undefined;
  readonly #warn = (details: Record<string, unknown>, message: string): void => {
    this.#io.warn(details, message);
  };
  #indexer: Indexer | undefined;

  constructor(io: ChildIo) {
    this.#io = io;
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
        return this.#run(message.id, (client, account) =>
          sendEmail(client, account, message, this.#warn),
        );
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
      case 'reconnectNow':
        this.#reconnector?.tryNow();
        return this.#io.reply({ type: 'reconnecting', id: message.id });
      case 'signOut':
        return this.#signOut(message.id);
    }
  }

  /** The main process went away: end the protocol session politely, then leave. */
  async abandon(): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    this.#reconnector?.stop();
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
      const options = {
        host: message.host,
        port: message.port,
        // Kept in this process's memory for reconnecting, as a mail client keeps it.
        credentials: { username: message.username, password: message.password },
        keys,
        channel: message.protocol,
        connectTimeoutMs: message.connectTimeoutMs,
        replyTimeoutMs: message.replyTimeoutMs,
        onServer: (choice: { server: Parameters<typeof formatServer>[0] }) => {
          server = formatServer(choice.server);
        },
      };
      this.#client = await openSession(options);
      this.#reconnector = new Reconnector(
        {
          connect: () => openSession(options),
          waiting: (retryInMs, attempts) =>
            this.#io.reply({ type: 'serverConnection', state: 'lost', retryInMs, attempts }),
          restored: (client) => this.#restored(client),
          gaveUp: (error) => this.#end(endOfReconnect(error, message.username, server)),
        },
        (error) => isPermanentFailure(error, message.username, server),
      );
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
    this.#bind = (next) => {
      this.#indexer?.stop();
      const parts = sessionParts(
        next,
        keys.privateKey(),
        { ...message, server },
        this.#io,
        // A watch of a connection already replaced has nothing to end.
        (error) => (this.#client === next ? this.#endAfterFailure(error) : Promise.resolve()),
      );
      this.#account = parts.account;
      this.#newMail = parts.newMail;
      this.#indexer = parts.indexer;
      // A server that goes away is told to the browser at once, not at its next request.
      void next.connectionEnded.then((reason) => {
        if (this.#client === next) void this.#endAfterFailure(reason);
      });
      return parts;
    };
    const { account, keyring, newMail } = this.#bind(client);
    const { sealed } = account;
    const { deliveryReports, emailIds, delete: deletes, sendIds } = client.capabilities;
    const fingerprint = client.serverFingerprint;
    await this.#io.reply({
      type: 'signedIn',
      id: message.id,
      username: message.username,
      server,
      protocol: message.protocol,
      ...(fingerprint === undefined ? {} : { serverFingerprint: fingerprint }),
      ...serverKeyNotice(client),
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
    newMail.start();
  }

  /** Connected again after the server went away: the same account, a new protocol session. */
  async #restored(client: MailClient): Promise<void> {
    if (this.#ending) {
      client.destroy();
      return;
    }
    this.#client = client;
    this.#bind?.(client);
    await this.#io.reply({ type: 'serverConnection', state: 'restored' });
    this.#newMail?.start();
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
    if (this.#reconnector?.active === true || hasEnded(client)) {
      const message =
        'the mail server cannot be reached now; nothing was done, and the gateway keeps trying to connect again';
      await this.#io.reply({ type: 'error', id, code: 'SERVER_DOWN', message });
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
        code: hasEnded(client) ? 'CONNECTION_LOST' : failure.code,
        message: failure.message,
      });
      if (hasEnded(client)) await this.#endAfterFailure(error);
      return;
    }
    await this.#io.reply(reply);
  }

  async #signOut(id: number | null): Promise<void> {
    this.#ending = true;
    this.#reconnector?.stop();
    this.#newMail?.stop();
    this.#indexer?.stop();
    await this.#terminate();
    if (id !== null) await this.#io.reply({ type: 'signedOut', id });
    this.#io.exit(0);
  }

  /**
   * The protocol session broke: a lost connection is made again (reconnect.ts) while the
   * browser keeps what it shows; any other failure ends the session, told why.
   */
  async #endAfterFailure(error: unknown): Promise<void> {
    if (this.#ending) return;
    this.#newMail?.stop();
    this.#indexer?.stop();
    this.#client?.destroy();
    if (isConnectionLost(error) && this.#reconnector) {
      this.#reconnector.lost();
      return;
    }
    const message = `The session with the mail server failed: ${error instanceof Error ? error.message : String(error)}`;
    await this.#end({ reason: 'error', message });
  }

  async #end(why: { reason: SessionEndReason; message: string }): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    this.#reconnector?.stop();
    this.#newMail?.stop();
    this.#client?.destroy();
    await this.#io.reply({ type: 'sessionEnded', ...why });
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
