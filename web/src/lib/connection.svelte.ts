import type { Reply } from '../../../gateway/messages.js';
import { planAfterClose, type CloseCause, type GatewayState } from './connection-plan.js';
import { GatewayClient, type GatewayEvent, type SocketLike } from './gateway-client.js';

export type Hello = Extract<Reply, { type: 'hello' }>;

export interface ConnectionOptions {
  connect: () => SocketLike;
  onEvent: (event: GatewayEvent) => void;
  /** The socket closed: every request still waiting has failed. */
  onLost: () => void;
}

/** The socket to the gateway: opening it, and what to do when it closes, by cause. */
export class GatewayConnection {
  state = $state<GatewayState>('connecting');
  hello = $state.raw<Hello | undefined>();
  /** Seconds until the next attempt, while retrying. */
  retryInSeconds = $state(0);
  readonly client: GatewayClient;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #countdown: ReturnType<typeof setInterval> | undefined;

  constructor(options: ConnectionOptions) {
    this.client = new GatewayClient({
      connect: options.connect,
      onOpen: () => {
        this.#attempt = 0;
        this.state = 'open';
      },
      onEvent: (event) => {
        if (event.type === 'hello') this.hello = event;
        options.onEvent(event);
      },
      onClose: (cause: CloseCause) => {
        this.#closed(cause);
        options.onLost();
      },
    });
  }

  get isOpen(): boolean {
    return this.client.isOpen;
  }

  start(): void {
    this.#stopTimers();
    this.state = 'connecting';
    this.client.open();
  }

  #closed(cause: CloseCause): void {
    this.#stopTimers();
    const plan = planAfterClose(cause, this.#attempt);
    this.state = plan.state;
    if (plan.retryInMs === undefined) return;
    this.#attempt++;
    this.retryInSeconds = Math.ceil(plan.retryInMs / 1000);
    this.#countdown = setInterval(() => {
      this.retryInSeconds = Math.max(0, this.retryInSeconds - 1);
    }, 1000);
    this.#retryTimer = setTimeout(() => {
      this.start();
    }, plan.retryInMs);
  }

  #stopTimers(): void {
    clearTimeout(this.#retryTimer);
    clearInterval(this.#countdown);
  }
}
