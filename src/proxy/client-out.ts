// A client's replies waiting to be written. Small replies are copied into a
// staging OutBuffer as they complete (they may live in the shared read buffer),
// so a whole pipeline's replies leave in one write without a concat; large
// replies the proxy owns are queued as they are, not copied, after whatever
// was staged before them.
import type { Socket } from 'node:net';
import { OutBuffer } from './out-buffer.js';
import { writeBuffer, Wrote } from './socket-write.js';

/** Replies at least this large are queued as their own chunk instead of copied. */
const OWN_CHUNK = 16 * 1024;
/** The staging buffer grows up to this, then what it holds becomes a chunk of its own. */
const STAGE_MAX = 64 * 1024;
/** Staging starts this small, and is kept between batches up to this size (what an idle client holds). */
const STAGE_MIN = 64;
const STAGE_KEEP = 4 * 1024;

export class ClientOut {
  /** chunks, in order, before what is staged */
  #chunks: Buffer[] = [];
  readonly #stage = new OutBuffer(STAGE_MIN, STAGE_KEEP);
  #bytes = 0;

  /** Bytes waiting. */
  get length(): number {
    return this.#bytes;
  }

  /** Copy buf[start,end) in. */
  copy(buf: Buffer, start: number, end: number): void {
    if (this.#stage.length + (end - start) > STAGE_MAX) this.#seal();
    this.#stage.append(buf, start, end);
    this.#bytes += end - start;
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

  #seal(): void {
    if (this.#stage.length > 0) this.#chunks.push(this.#stage.take());
  }

  /** Write everything waiting in one batch; false = the socket is backed up, wait for its 'drain'. */
  writeTo(socket: Socket): boolean {
    const total = this.#bytes;
    this.#bytes = 0;
    if (this.#chunks.length === 0) return this.#stage.writeTo(socket);
    this.#seal();
    const chunks = this.#chunks;
    this.#chunks = [];
    return writeChunks(socket, chunks, total);
  }
}

/** Small total: copy into one buffer (one syscall, no writev bookkeeping); else cork and write each. */
const CONCAT_LIMIT = 64 * 1024;

/** Write the chunks to the socket as one batch; false = the socket is backed up, wait for its 'drain'. */
function writeChunks(socket: Socket, chunks: Buffer[], total: number): boolean {
  if (chunks.length === 1 || total <= CONCAT_LIMIT) {
    return writeBuffer(socket, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total)) !== Wrote.Blocked;
  }
  socket.cork();
  let ok = true;
  for (let i = 0; i < chunks.length; i++) ok = socket.write(chunks[i]);
  socket.uncork();
  return ok;
}
