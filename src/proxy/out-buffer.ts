// Bytes waiting to be written to one socket, copied into one growing buffer so
// a batch leaves in one write and the sources (possibly a reused read buffer)
// can be dropped at once. After a write the socket finished on the spot the
// buffer is reused; one the socket still holds (a partial or queued write) is
// left to it and a new buffer is taken next time.
import type { Writable } from 'node:stream';
import { copyInto } from './copy.js';

const MIN_SIZE = 16 * 1024;
/** Larger buffers are not kept for reuse once written (a burst should not pin memory). */
const KEEP_MAX = 1024 * 1024;

export class OutBuffer {
  #buf: Buffer | null = null;
  #len = 0;

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
    let size = Math.max(MIN_SIZE, (this.#buf?.length ?? 0) * 2);
    while (size < need) size *= 2;
    // One huge request gets exactly its room (it should not cost twice its size); many small ones grow geometrically.
    const next = Buffer.allocUnsafeSlow(n > KEEP_MAX ? need : size);
    if (this.#buf !== null && this.#len > 0) this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  /** Write what is waiting in one call; returns the socket's backpressure verdict. */
  writeTo(socket: Writable): boolean {
    const buf = this.#buf!;
    const n = this.#len;
    this.#len = 0;
    const ok = socket.write(buf.subarray(0, n));
    // Still referenced by a write in progress, or too big to keep: start a new one next time.
    if (socket.writableLength !== 0 || buf.length > KEEP_MAX) this.#buf = null;
    return ok;
  }

  /** Drop what is waiting. */
  clear(): void {
    this.#len = 0;
    this.#buf = null;
  }
}
