import type { RecipientDelivery, SentEmailView, SentItem } from '../../../gateway/messages.js';
import { parseReports, withReport, type KeptReports } from './delivery.js';
import { GatewayRequestError, type GatewayClient } from './gateway-client.js';
import { DEFAULT_SORT, type SortOrder } from './inbox.js';
import { sentRows } from './sent-rows.js';
import { accountKey, readJson, writeJson, type Account, type KeyValueStore } from './storage.js';

export type SentStatus = 'idle' | 'loading' | 'ready' | 'unavailable' | 'error';

/**
 * The Sent folder the gateway keeps on this computer (the protocol has none). A gateway that
 * keeps none refuses the request (BAD_REQUEST): the view says so instead of failing. The
 * delivery reports of emails sent with them are kept per user on this device (the gateway's
 * copies do not hold them).
 */
export class SentState {
  status = $state<SentStatus>('idle');
  items = $state.raw<SentItem[]>([]);
  open = $state.raw<{ id: string; email?: SentEmailView; error?: string } | undefined>();
  error = $state<string | undefined>();
  reports = $state.raw<KeptReports>({});
  /** Sorted and searched as the inbox is (sent-rows.ts). */
  sort = $state<SortOrder>(DEFAULT_SORT);
  query = $state('');
  readonly rows = $derived(sentRows(this.items, this.query, this.sort));
  readonly #client: GatewayClient;
  readonly #describe: (error: unknown) => string;
  readonly #store: KeyValueStore;
  #account: Account | undefined;

  constructor(client: GatewayClient, describe: (error: unknown) => string, store: KeyValueStore) {
    this.#client = client;
    this.#describe = describe;
    this.#store = store;
  }

  /** A new session (or none): an empty folder, and the reports kept for this user. */
  reset(account?: Account): void {
    this.status = 'idle';
    this.items = [];
    this.open = undefined;
    this.query = '';
    this.#account = account;
    this.reports = account ? parseReports(readJson(this.#store, this.#reportsKey(account))) : {};
  }

  /** What became of each recipient of a sent email, kept with its Sent id. */
  keepReport(sentId: string, recipients: RecipientDelivery[]): void {
    const account = this.#account;
    if (!account) return;
    this.reports = withReport(this.reports, sentId, recipients);
    writeJson(this.#store, this.#reportsKey(account), this.reports);
  }

  #reportsKey(account: Account): string {
    return accountKey(account, 'delivery');
  }

  /** A send went out: a list already shown is fetched again when next opened. */
  invalidate(): void {
    if (this.status === 'ready') this.status = 'idle';
  }

  async load(): Promise<void> {
    if (this.status === 'loading' || this.status === 'unavailable') return;
    this.status = 'loading';
    try {
      const reply = await this.#client.request({ type: 'listSent' });
      this.items = [...reply.items].sort((a, b) => (a.sentAt < b.sentAt ? 1 : -1));
      this.status = 'ready';
    } catch (error) {
      if (isUnavailable(error)) {
        this.status = 'unavailable';
        return;
      }
      this.error = this.#describe(error);
      this.status = 'error';
    }
  }

  async read(id: string): Promise<void> {
    this.open = { id };
    try {
      const reply = await this.#client.request({ type: 'readSent', sentId: id });
      if (this.#isOpen(id)) this.open = { id, email: reply.email };
    } catch (error) {
      if (this.#isOpen(id)) this.open = { id, error: this.#describe(error) };
    }
  }

  #isOpen(id: string): boolean {
    return this.open?.id === id;
  }

  close(): void {
    this.open = undefined;
  }
}

export function isUnavailable(error: unknown): boolean {
  return error instanceof GatewayRequestError && error.code === 'BAD_REQUEST';
}
