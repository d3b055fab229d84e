// Bytes waiting to be written to one socket, copied into one growing buffer so
// a batch leaves in one write and the sources (possibly a reused read buffer)
// can be dropped at once. After a write the socket finished on the spot the
// buffer is reused; one the socket still holds (a partial or queued write) is
// left to it and a new buffer is taken next time. Backend connections write
// through one; each client stages its replies in one (client-out.ts).
import type net from 'node:net';
import { copyInto } from './copy.js';
import { writeBuffer, Wrote } from './socket-write.js';

export class OutBuffer {
  /** first allocation */
  readonly #minSize: number;
  /** larger buffers are not kept once written (a burst should not pin memory) */
  readonly #keepMax: number;
  /** writes up to this size keep their view of #buf, one per size (0: only the last write's) */
  readonly #viewSizes: number;
  #buf: Buffer | null = null;
  #len = 0;
  /** the last write's view of #buf (a batch of one kind often repeats its size) */
  #view: Buffer | null = null;
  /** views of #buf by size, when #viewSizes > 0 */
  #views: (Buffer | undefined)[] | null = null;

  /**
   * `viewSizes`: for a connection whose writes vary in size (a backend's
   * batches are multiples of its requests), keep a view of the buffer per
   * write size up to this many bytes instead of making one per write.
   */
  constructor(minSize: number, keepMax: number, viewSizes = 0) {
    this.#minSize = minSize;
    this.#keepMax = keepMax;
    this.#viewSizes = viewSizes;
  }

  /** Bytes waiting. */
  get length(): number {
    return this.#len;
  }

  /** The buffer `reserve` offsets point into (valid until the next append or reserve). */
  get bytes(): Buffer {
    return this.#buf!;
  }

  /** Copy src[start,end) in. */
  append(src: Buffer, start: number, end: number): void {
    const o = this.reserve(end - start);
    copyInto(src, start, end, this.#buf!, o);
  }

  /** Make room for n bytes the caller writes itself into `bytes` at the returned offset. */
  reserve(n: number): number {
    if (this.#buf === null || this.#len + n > this.#buf.length) this.#grow(n);
    const o = this.#len;
    this.#len += n;
    return o;
  }

  #grow(n: number): void {
    const need = this.#len + n;
    let size = Math.max(this.#minSize, (this.#buf?.length ?? 0) * 2);
    while (size < need) size *= 2;
    // One huge write gets exactly its room (it should not cost twice its size); many small ones grow geometrically.
    const next = Buffer.allocUnsafe(n > this.#keepMax ? need : size);
    if (this.#buf !== null && this.#len > 0) copyInto(this.#buf, 0, this.#len, next, 0);
    this.#buf = next;
    this.#view = null;
    this.#views = null;
  }

  /** What is waiting, as a Buffer the caller now owns; this starts empty. */
  take(): Buffer {
    const out = this.#buf!.subarray(0, this.#len);
    this.#drop();
    return out;
  }

  /** Write what is waiting in one call; false = the socket is backed up, wait for its 'drain'. */
  writeTo(socket: net.Socket): boolean {
    const buf = this.#buf!;
    const n = this.#len;
    this.#len = 0;
    const r = writeBuffer(socket, this.#viewOf(buf, n));
    // Still referenced by a write in progress, or too big to keep: start a new one next time.
    if (r !== Wrote.All || buf.length > this.#keepMax) this.#drop();
    return r !== Wrote.Blocked;
  }

  /** buf[0,n) as a Buffer, made once per size where it can be. */
  #viewOf(buf: Buffer, n: number): Buffer {
    if (n === buf.length) return buf;
    if (n <= this.#viewSizes) return ((this.#views ??= [])[n] ??= buf.subarray(0, n));
    const last = this.#view;
    return last !== null && last.length === n ? last : (this.#view = buf.subarray(0, n));
  }

  /** Drop what is waiting. */
  clear(): void {
    this.#drop();
  }

  #drop(): void {
    this.#buf = null;
    this.#view = null;
    this.#views = null;
    this.#len = 0;
  }
}
