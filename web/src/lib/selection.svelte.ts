/**
 * The emails ticked for an action on many at once (read, unread, Trash), by ref (refOf), apart
 * from the cursor (`InboxState.selected`, the one row the keys move). A range goes from the
 * last row ticked alone (the anchor) to the row shift-clicked or reached with Shift and an
 * arrow, in the order shown.
 */
export class Selection {
  checked = $state.raw<ReadonlySet<string>>(new Set());
  #anchor: string | undefined;

  get size(): number {
    return this.checked.size;
  }

  has(ref: string): boolean {
    return this.checked.has(ref);
  }

  /** Ticks or unticks one row; it becomes the anchor of the next range. */
  toggle(ref: string): void {
    const next = new Set(this.checked);
    if (next.has(ref)) next.delete(ref);
    else next.add(ref);
    this.checked = next;
    this.#anchor = ref;
  }

  /** Ticks every row from the anchor to `ref` (in `order`, the rows shown), keeping what was ticked. */
  extendTo(ref: string, order: readonly string[]): void {
    const anchor = this.#anchor ?? ref;
    let from = order.indexOf(anchor);
    let to = order.indexOf(ref);
    if (to < 0) return;
    if (from < 0) from = to;
    if (from > to) [from, to] = [to, from];
    const next = new Set(this.checked);
    for (let i = from; i <= to; i++) next.add(order[i] ?? '');
    next.delete('');
    this.checked = next;
    this.#anchor ??= ref;
  }

  /** Ticks all of `refs` (every row shown), or none when they all are ticked already. */
  toggleAll(refs: readonly string[]): void {
    this.checked = this.allOf(refs) ? new Set() : new Set(refs);
  }

  /** Whether every one of `refs` is ticked (and there is at least one). */
  allOf(refs: readonly string[]): boolean {
    return (
      refs.length > 0 &&
      refs.length <= this.checked.size &&
      refs.every((ref) => this.checked.has(ref))
    );
  }

  /** Keeps only the refs still shown (after a listing, a search, a move to the Trash). */
  keepOnly(refs: ReadonlySet<string>): void {
    if ([...this.checked].every((ref) => refs.has(ref))) return;
    this.checked = new Set([...this.checked].filter((ref) => refs.has(ref)));
  }

  clear(): void {
    if (this.checked.size > 0) this.checked = new Set();
    this.#anchor = undefined;
  }
}
