// List value of the node: a deque of Buffers. Small lists (<= SMALL_MAX) are
// one plain array; bigger ones are fixed-size chunks held in a ring, with every
// chunk full except the first and the last, so push/pop at either end are O(1)
// (no element moves, no big copy) and at(i)/set(i) are O(1) arithmetic.
// Middle edits (LINSERT, LREM) rebuild the layout, O(n) as in Redis.
// Written with index arithmetic for speed; test/unit/node/deque.test.ts checks
// it against a plain array under random operations. Knows nothing of commands.

const SHIFT = 7;
const CHUNK = 1 << SHIFT; // 128 elements per chunk
const MASK = CHUNK - 1;
/** below this many elements a list is one plain array (unshift on it is cheap) */
const SMALL_MAX = 64;
/** a chunked list shrunk to this many elements becomes one array again */
const SMALL_BACK = 16;

type Chunk = (Buffer | undefined)[];

export class Deque {
  /** the whole list while small, else null */
  #small: Buffer[] | null = [];
  /** ring of chunks (capacity a power of two) */
  #ring: (Chunk | undefined)[] = [];
  #first = 0; // ring slot of the first chunk
  #chunks = 0; // chunks in use
  #head = 0; // offset of element 0 in the first chunk
  #length = 0;

  static from(items: Buffer[]): Deque {
    const d = new Deque();
    d.#load(items);
    return d;
  }

  get length(): number { return this.#length; }

  pushBack(v: Buffer): void {
    const s = this.#small;
    if (s !== null) {
      if (s.length < SMALL_MAX) { s.push(v); this.#length++; return; }
      this.#toChunks();
    }
    const p = this.#head + this.#length;
    if (p === this.#chunks << SHIFT) this.#addChunk(false);
    this.#chunk(p >> SHIFT)[p & MASK] = v;
    this.#length++;
  }

  pushFront(v: Buffer): void {
    const s = this.#small;
    if (s !== null) {
      if (s.length < SMALL_MAX) { s.unshift(v); this.#length++; return; }
      this.#toChunks();
    }
    if (this.#head === 0) { this.#addChunk(true); this.#head = CHUNK; }
    this.#head--;
    this.#chunk(0)[this.#head] = v;
    this.#length++;
  }

  popFront(): Buffer | undefined {
    if (this.#length === 0) return undefined;
    const s = this.#small;
    if (s !== null) { this.#length--; return s.shift(); }
    const c = this.#chunk(0);
    const v = c[this.#head]!;
    c[this.#head] = undefined;
    this.#head++;
    this.#length--;
    if (this.#length === 0) this.#reset();
    else if (this.#head === CHUNK) { this.#dropChunk(true); this.#head = 0; }
    if (this.#length === SMALL_BACK) this.#load(this.toArray());
    return v;
  }

  popBack(): Buffer | undefined {
    if (this.#length === 0) return undefined;
    const s = this.#small;
    if (s !== null) { this.#length--; return s.pop(); }
    const p = this.#head + this.#length - 1;
    const c = this.#chunk(p >> SHIFT);
    const v = c[p & MASK]!;
    c[p & MASK] = undefined;
    this.#length--;
    if (this.#length === 0) this.#reset();
    else if ((p & MASK) === 0) this.#dropChunk(false);
    if (this.#length === SMALL_BACK) this.#load(this.toArray());
    return v;
  }

  /** element i (0 <= i < length) */
  at(i: number): Buffer {
    const s = this.#small;
    if (s !== null) return s[i]!;
    const p = this.#head + i;
    return this.#chunk(p >> SHIFT)[p & MASK]!;
  }

  set(i: number, v: Buffer): void {
    const s = this.#small;
    if (s !== null) { s[i] = v; return; }
    const p = this.#head + i;
    this.#chunk(p >> SHIFT)[p & MASK] = v;
  }

  /** elements [start, end) */
  slice(start: number, end: number): Buffer[] {
    const s = this.#small;
    if (s !== null) return s.slice(start, end);
    const out: Buffer[] = new Array(end - start);
    let p = this.#head + start;
    for (let o = 0; o < out.length; o++, p++) out[o] = this.#chunk(p >> SHIFT)[p & MASK]!;
    return out;
  }

  toArray(): Buffer[] { return this.slice(0, this.#length); }

  /** Replace the whole content (after a middle edit). */
  replaceAll(items: Buffer[]): void { this.#load(items); }

  *[Symbol.iterator](): IterableIterator<Buffer> { for (let i = 0; i < this.#length; i++) yield this.at(i); }

  // ---- layout ----
  #chunk(k: number): Chunk { return this.#ring[(this.#first + k) & (this.#ring.length - 1)]!; }

  #load(items: Buffer[]): void {
    this.#reset();
    if (items.length <= SMALL_MAX) { this.#small = items.slice(); this.#length = items.length; return; }
    this.#small = null;
    for (const v of items) this.pushBack(v);
  }

  #reset(): void {
    this.#small = [];
    this.#ring = [];
    this.#first = 0; this.#chunks = 0; this.#head = 0; this.#length = 0;
  }

  #toChunks(): void {
    const items = this.#small!;
    this.#small = null;
    this.#length = 0;
    this.#head = 0;
    for (const v of items) this.pushBack(v);
  }

  #addChunk(front: boolean): void {
    if (this.#chunks === this.#ring.length) this.#growRing();
    const c: Chunk = new Array(CHUNK);
    const mask = this.#ring.length - 1;
    if (front) { this.#first = (this.#first - 1) & mask; this.#ring[this.#first] = c; }
    else this.#ring[(this.#first + this.#chunks) & mask] = c;
    this.#chunks++;
  }

  #dropChunk(front: boolean): void {
    const mask = this.#ring.length - 1;
    if (front) { this.#ring[this.#first] = undefined; this.#first = (this.#first + 1) & mask; }
    else this.#ring[(this.#first + this.#chunks - 1) & mask] = undefined;
    this.#chunks--;
  }

  #growRing(): void {
    const old = this.#ring;
    const cap = Math.max(4, old.length * 2);
    const next: (Chunk | undefined)[] = new Array(cap);
    for (let k = 0; k < this.#chunks; k++) next[k] = old[(this.#first + k) & (old.length - 1)];
    this.#ring = next;
    this.#first = 0;
  }
}
