import type { RecipientSealing } from '../../../gateway/messages.js';
import { finalRecipients, type Draft } from './compose.js';
import type { GatewayClient } from './gateway-client.js';
import { recipientProblem } from './recipients.js';
import type { SealingVerdict } from './sealing.js';

/** The composer's state the plan reads and sets (ComposerState's). */
export interface PlanHost {
  readonly draft: Draft;
  readonly signedIn: boolean;
  sealingPlan: RecipientSealing[] | undefined;
  /** What a send would do with the plan (derived from it by the composer). */
  readonly sealing: SealingVerdict | undefined;
}

/**
 * Asks the gateway how an email to the draft's recipients would be sealed, as names are typed
 * (`sealingPlan`; nothing is pinned by asking), and keeps only the answer for the names on screen.
 */
export class SealingPlanner {
  readonly #host: PlanHost;
  readonly #client: GatewayClient;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Which recipients the plan on screen is for, so that a late answer never shows for others. */
  #planFor = '';

  constructor(host: PlanHost, client: GatewayClient) {
    this.#host = host;
    this.#client = client;
  }

  /** A session began: no plan yet. */
  reset(): void {
    this.#host.sealingPlan = undefined;
    this.#planFor = '';
  }

  /** The recipients changed: asks after a pause in typing. */
  soon(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.plan();
    }, 300);
  }

  /** Asks now; resolves with what a send would do, or undefined without an answer for these names. */
  async plan(): Promise<SealingVerdict | undefined> {
    clearTimeout(this.#timer);
    const host = this.#host;
    const to = finalRecipients(host.draft).filter((name) => recipientProblem(name) === undefined);
    const key = to.join(';');
    if (!host.signedIn || to.length === 0) {
      host.sealingPlan = undefined;
      this.#planFor = '';
      return undefined;
    }
    if (key === this.#planFor && host.sealingPlan !== undefined) return host.sealing;
    this.#planFor = key;
    try {
      const reply = await this.#client.request({ type: 'sealingPlan', to });
      if (this.#planFor === key) host.sealingPlan = reply.recipients;
    } catch {
      // Said again at the send, which the gateway refuses rather than send it unsealed.
      if (this.#planFor === key) host.sealingPlan = undefined;
    }
    return this.#planFor === key ? host.sealing : undefined;
  }
}
