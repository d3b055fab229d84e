// The replication backlog: the last N bytes of the replication stream, in a
// ring buffer, so a replica that lost its link can continue (PSYNC +CONTINUE)
// instead of a full resync. Pure data structure, no sockets.

export class Backlog {
  readonly capacity: number;
  readonly #ring: Buffer;
  #writePos = 0;
  #histlen = 0;
  /** replication offset just past the last byte held */
  endOffset: number;

  constructor(capacity: number, startOffset: number) {
    this.capacity = capacity;
    this.#ring = Buffer.alloc(capacity);
    this.endOffset = startOffset;
  }

  /** offset of the first byte still held */
  get startOffset(): number { return this.endOffset - this.#histlen; }
  get histlen(): number { return this.#histlen; }

  append(buf: Buffer): void {
    this.endOffset += buf.length;
    let src = buf;
    if (src.length >= this.capacity) src = src.subarray(src.length - this.capacity);
    const first = Math.min(src.length, this.capacity - this.#writePos);
    src.copy(this.#ring, this.#writePos, 0, first);
    if (first < src.length) src.copy(this.#ring, 0, first);
    this.#writePos = (this.#writePos + src.length) % this.capacity;
    this.#histlen = Math.min(this.capacity, this.#histlen + buf.length);
  }

  /** The bytes from `offset` to the end, or null when `offset` is not covered. */
  from(offset: number): Buffer | null {
    if (offset < this.startOffset || offset > this.endOffset) return null;
    const n = this.endOffset - offset;
    const out = Buffer.allocUnsafe(n);
    const start = (this.#writePos - n + this.capacity) % this.capacity;
    const first = Math.min(n, this.capacity - start);
    this.#ring.copy(out, 0, start, start + first);
    if (first < n) this.#ring.copy(out, first, 0, n - first);
    return out;
  }
}
