/** One move to or from the Trash, as sent to the gateway. */
interface Move {
  marks: readonly string[];
  restore: boolean;
}

/**
 * Moves to or from the Trash that the gateway has not answered yet. Each answer carries the
 * Trash as the gateway held it after that request alone; a later move still on its way must
 * stay applied on top, or its row would come back into the list until its own answer arrives.
 */
export class PendingMoves {
  readonly #moves = new Map<number, Move>();
  #next = 0;

  /** Records a move about to be sent; `settle` it once answered or failed. */
  add(marks: readonly string[], restore: boolean): number {
    const id = this.#next++;
    this.#moves.set(id, { marks, restore });
    return id;
  }

  settle(id: number): void {
    this.#moves.delete(id);
  }

  /** The Trash's marks as the gateway last gave them, with the unanswered moves applied in the order sent. */
  over(confirmed: Iterable<string>): Set<string> {
    const trashed = new Set(confirmed);
    for (const { marks, restore } of this.#moves.values())
      for (const mark of marks) {
        if (restore) trashed.delete(mark);
        else trashed.add(mark);
      }
    return trashed;
  }
}
