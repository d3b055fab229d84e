// An O(1) FIFO (growable ring buffer) for the hot path: requests in flight on
// a backend connection, requests awaiting their turn to reply to a client.
// Array.shift() is O(n); this is not.

export class Fifo<T> {
  #items: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity = 16) {
    this.#items = new Array(capacity);
  }

  get length(): number {
    return this.#size;
  }

  push(v: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) & (this.#items.length - 1)] = v;
    this.#size++;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const v = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#size--;
    return v;
  }

  /** Remove and return everything, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let v = this.shift(); v !== undefined; v = this.shift()) out.push(v);
    return out;
  }

  #grow(): void {
    const old = this.#items;
    const n = old.length;
    const next = new Array<T | undefined>(n * 2);
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) & (n - 1)];
    this.#items = next;
    this.#head = 0;
  }
}
