import { createInterface, type Interface } from 'node:readline';
import { Writable, type Readable } from 'node:stream';

/**
 * Prompts and answers, one line at a time. Lines that arrive before they are asked for
 * (piped stdin) wait in a queue instead of being lost; on a terminal a password is not echoed.
 */
export class LineInput {
  readonly #output: NodeJS.WritableStream;
  readonly #readline: Interface;
  readonly #lines: string[] = [];
  #waiter: ((line: string | null) => void) | undefined;
  #ended = false;
  #muted = false;
  readonly #isTerminal: boolean;

  constructor(input: Readable & { isTTY?: boolean }, output: NodeJS.WritableStream) {
    this.#output = output;
    this.#isTerminal = input.isTTY === true;
    // Readline echoes typed characters through this stream; muting it hides a password.
    const echo = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        if (!this.#muted) output.write(chunk);
        done();
      },
    });
    this.#readline = createInterface({ input, output: echo, terminal: this.#isTerminal });
    this.#readline.on('line', (line) => {
      const waiter = this.#waiter;
      if (waiter) {
        this.#waiter = undefined;
        waiter(line);
      } else {
        this.#lines.push(line);
      }
    });
    this.#readline.on('close', () => {
      this.#ended = true;
      this.#waiter?.(null);
      this.#waiter = undefined;
    });
  }

  /** Writes the prompt and resolves with the next line, or null at the end of input. */
  ask(prompt: string): Promise<string | null> {
    this.#output.write(prompt);
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /**
   * The next line, without a prompt; undefined when `signal` aborts first (the line, if one
   * comes later, is kept for the next question).
   */
  next(signal: AbortSignal): Promise<string | null | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter = (answer: string | null): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(answer);
      };
      const onAbort = (): void => {
        if (this.#waiter === waiter) this.#waiter = undefined;
        resolve(undefined);
      };
      this.#waiter = waiter;
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** As `ask`, without echoing what is typed on a terminal. */
  async askHidden(prompt: string): Promise<string | null> {
    if (!this.#isTerminal) return this.ask(prompt);
    const answer = this.ask(prompt);
    this.#muted = true;
    try {
      return await answer;
    } finally {
      this.#muted = false;
      this.#output.write('\n');
    }
  }

  /**
   * A new secret, hidden: asked twice on a terminal (a typo would lock its owner out), once
   * when piped. Undefined when the two differ; '' at the end of input.
   */
  async askNewSecret(prompt: string): Promise<string | undefined> {
    const first = (await this.askHidden(prompt)) ?? '';
    if (!this.#isTerminal) return first;
    const again = (await this.askHidden('The same again: ')) ?? '';
    return again === first ? first : undefined;
  }

  close(): void {
    this.#readline.close();
  }
}
