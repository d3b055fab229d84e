// A client's replies waiting to be written. Small replies are copied into one
// staging buffer as they complete (they may live in the shared read buffer),
// so a whole pipeline's replies leave in one write without a concat; large
// replies the proxy owns are queued as they are, not copied. After a write the
// socket finished on the spot, a small staging buffer is reused by the next
// batch; one the socket still holds is left to it.
import type { Socket } from 'node:net';
import { copyInto } from './copy.js';

/** Replies at least this large are queued as their own chunk instead of copied. */
const OWN_CHUNK = 16 * 1024;
/** The staging buffer grows up to this, then is sealed and a new one started. */
const STAGE_MAX = 64 * 1024;
/** Staging buffers up to this size are kept between batches (an idle client keeps at most this). */
const KEEP_MAX = 4 * 1024;

export class ClientOut {
  /** sealed chunks, in order, before the staging buffer */
  #chunks: Buffer[] = [];
  #stage: Buffer | null = null;
  #stageLen = 0;
  #bytes = 0;
  /** the last write's view of the staging buffer, and which buffer it views */
  #view: Buffer | null = null;
  #viewOn: Buffer | null = null;

  /** Bytes waiting. */
  get length(): number {
    return this.#bytes;
  }

  /** Copy buf[start,end) in. */
  copy(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    let stage = this.#stage;
    if (stage === null || this.#stageLen + n > stage.length) stage = this.#grow(n);
    this.#stageLen += copyInto(buf, start, end, stage, this.#stageLen);
    this.#bytes += n;
  }

  /** Queue a buffer that stays unchanged until written (the proxy's own replies, merged replies). */
  add(b: Buffer): void {
    if (b.length < OWN_CHUNK) {
      this.copy(b, 0, b.length);
      return;
    }
    this.#seal();
    this.#chunks.push(b);
    this.#bytes += b.length;
  }

  #grow(n: number): Buffer {
    const len = this.#stageLen;
    const old = this.#stage;
    if (len + n > STAGE_MAX) {
      // Seal what is staged; start afresh (a reply this large gets a buffer of its own size).
      this.#seal();
      this.#stage = Buffer.allocUnsafe(Math.max(n, 256));
      return this.#stage;
    }
    const next = Buffer.allocUnsafe(Math.min(STAGE_MAX, Math.max(len + n, old === null ? 64 : old.length * 2)));
    if (old !== null && len > 0) copyInto(old, 0, len, next, 0);
    this.#stage = next;
    return next;
  }

  #seal(): void {
    if (this.#stage !== null && this.#stageLen > 0) {
      this.#chunks.push(this.#stage.subarray(0, this.#stageLen));
      this.#stage = null;
      this.#stageLen = 0;
    }
  }

  /** Write everything waiting in one batch; returns the socket's backpressure verdict. */
  writeTo(socket: Socket): boolean {
    const total = this.#bytes;
    this.#bytes = 0;
    if (this.#chunks.length === 0) {
      const stage = this.#stage!;
      const n = this.#stageLen;
      this.#stageLen = 0;
      const ok = socket.write(this.#viewOf(stage, n));
      // Reuse only a small buffer the socket is done with.
      if (socket.writableLength !== 0 || stage.length > KEEP_MAX) this.#stage = this.#view = this.#viewOn = null;
      return ok;
    }
    this.#seal();
    const chunks = this.#chunks;
    this.#chunks = [];
    return writeChunks(socket, chunks, total);
  }

  /** stage[0,n): the last view made when it has that length (replies of one kind repeat their size). */
  #viewOf(stage: Buffer, n: number): Buffer {
    if (n === stage.length) return stage;
    const v = this.#view;
    if (v !== null && v.length === n && this.#viewOn === stage) return v;
    this.#viewOn = stage;
    return (this.#view = stage.subarray(0, n));
  }
}

/** Small total: copy into one buffer (one syscall, no writev bookkeeping); else cork and write each. */
const CONCAT_LIMIT = 64 * 1024;

/** Write the chunks to the socket as one batch; returns socket.write's backpressure verdict. */
function writeChunks(socket: Socket, chunks: Buffer[], total: number): boolean {
  if (chunks.length === 1) return socket.write(chunks[0]);
  if (total <= CONCAT_LIMIT) return socket.write(Buffer.concat(chunks, total));
  socket.cork();
  let ok = true;
  for (let i = 0; i < chunks.length; i++) ok = socket.write(chunks[i]);
  socket.uncork();
  return ok;
}
