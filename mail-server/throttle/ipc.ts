/**
 * The login throttle across processes: the parent keeps the book and answers its children;
 * a child asks and waits. A child that dies frees the places its attempts held.
 */
import type { ChildProcess } from 'node:child_process';
import type { Admission, LoginThrottle } from './rules.js';
import type { ThrottleAnswer, ThrottleRequest, ToWorker } from '../worker-protocol.js';

/**
 * With no answer in time, an attempt is refused: a throttle fails closed. Long enough for a
 * throttle kept in a database to wait out its restart (postgres.ts waits 30 s).
 */
const ANSWER_TIMEOUT_MS = 35_000;

/** The parent's side, one per child process. */
export class ThrottleDesk {
  readonly #throttle: LoginThrottle;
  readonly #child: ChildProcess;
  readonly #open = new Map<number, Admission>();
  #nextTicket = 1;
  #gone = false;

  constructor(throttle: LoginThrottle, child: ChildProcess) {
    this.#throttle = throttle;
    this.#child = child;
  }

  async handle(request: ThrottleRequest): Promise<void> {
    if (request.type === 'login-settle') {
      this.#open.get(request.ticket)?.settle(request.outcome);
      this.#open.delete(request.ticket);
      return;
    }
    const admission = await this.#throttle.admit(request.user, request.address, request.knownUser);
    if (this.#gone) {
      admission.settle('abandoned');
      return;
    }
    const answer: ThrottleAnswer = {
      type: 'login-admission',
      id: request.id,
      allowed: admission.allowed,
    };
    if (admission.refusedBy) answer.refusedBy = admission.refusedBy;
    if (admission.allowed) {
      answer.ticket = this.#nextTicket++;
      this.#open.set(answer.ticket, admission);
    }
    if (this.#child.connected) this.#child.send(answer satisfies ToWorker);
    else this.releaseAll();
  }

  /** The child is gone: its unsettled attempts count nothing and free their places. */
  releaseAll(): void {
    this.#gone = true;
    for (const admission of this.#open.values()) admission.settle('abandoned');
    this.#open.clear();
  }
}

/** A child's side: asks the parent over IPC. */
export function parentThrottle(
  send: (request: ThrottleRequest) => void,
  onAnswer: (listener: (answer: ThrottleAnswer) => void) => void,
): LoginThrottle {
  const waiting = new Map<number, (answer: ThrottleAnswer | undefined) => void>();
  let nextId = 1;
  onAnswer((answer) => {
    waiting.get(answer.id)?.(answer);
    waiting.delete(answer.id);
  });
  return {
    admit: (user, address, knownUser) =>
      new Promise<Admission>((resolve) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve({ allowed: false, settle: () => undefined });
        }, ANSWER_TIMEOUT_MS);
        waiting.set(id, (answer) => {
          clearTimeout(timer);
          const ticket = answer?.ticket;
          resolve({
            allowed: answer?.allowed === true,
            ...(answer?.refusedBy ? { refusedBy: answer.refusedBy } : {}),
            settle: (outcome) => {
              if (ticket !== undefined) send({ type: 'login-settle', ticket, outcome });
            },
          });
        });
        send({ type: 'login-admit', id, user, address, knownUser });
      }),
  };
}
