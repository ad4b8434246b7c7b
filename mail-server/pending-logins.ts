/**
 * Connections that have not completed a login, counted per client address, so that one
 * address cannot fill the server (as Postfix's anvil counts per client): at most
 * `maxPerAddress` such connections from one address at all, of which at most
 * `maxInProcessPerAddress` may hold a session process; the others wait in the parent, where
 * a connection costs a socket and nothing more.
 */
export interface PendingLoginLimits {
  maxPerAddress: number;
  maxInProcessPerAddress: number;
  /** Addresses whose connections `maxPerAddress` does not refuse (address-exceptions.ts). */
  exempt?: (address: string) => boolean;
}

export class PendingLogins {
  readonly #limits: PendingLoginLimits;
  readonly #pending = new Map<string, number>();
  readonly #inProcess = new Map<string, number>();

  constructor(limits: PendingLoginLimits) {
    this.#limits = limits;
  }

  /** A new connection from `address`; false (and nothing counted) when the address has too many. */
  admit(address: string): boolean {
    const count = this.#pending.get(address) ?? 0;
    if (count >= this.#limits.maxPerAddress && !this.#limits.exempt?.(address)) return false;
    this.#pending.set(address, count + 1);
    return true;
  }

  /** Whether a waiting connection from `address` may be handed to a session process now. */
  mayEnterProcess(address: string): boolean {
    return (this.#inProcess.get(address) ?? 0) < this.#limits.maxInProcessPerAddress;
  }

  enteredProcess(address: string): void {
    this.#inProcess.set(address, (this.#inProcess.get(address) ?? 0) + 1);
  }

  /** The connection logged in, or ended before it did; `inProcess` when it held a process. */
  settled(address: string, inProcess: boolean): void {
    decrement(this.#pending, address);
    if (inProcess) decrement(this.#inProcess, address);
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
