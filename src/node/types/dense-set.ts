// Set value of the node: members (latin1 strings) in a dense array plus a
// member -> index Map. Add, delete (swap with the last), membership and a
// random member are O(1); at(i) gives positional access for SSCAN and
// SRANDMEMBER. Must not know about commands.
export class DenseSet {
  readonly #index = new Map<string, number>();
  readonly #members: string[] = [];

  get size(): number { return this.#members.length; }

  has(m: string): boolean { return this.#index.has(m); }

  /** true when the member is new */
  add(m: string): boolean {
    if (this.#index.has(m)) return false;
    this.#index.set(m, this.#members.length);
    this.#members.push(m);
    return true;
  }

  /** true when the member was there */
  delete(m: string): boolean {
    const i = this.#index.get(m);
    if (i === undefined) return false;
    this.#index.delete(m);
    const last = this.#members.pop()!;
    if (i < this.#members.length) {
      this.#members[i] = last;
      this.#index.set(last, i);
    }
    return true;
  }

  /** The member at position i (0 <= i < size); removals move the last member into the hole. */
  at(i: number): string { return this.#members[i]!; }

  random(): string { return this.#members[(Math.random() * this.#members.length) | 0]!; }

  values(): IterableIterator<string> { return this.#members.values(); }

  [Symbol.iterator](): IterableIterator<string> { return this.#members.values(); }
}
