// Write batching: connections that have output queue themselves here and are
// flushed once per event-loop turn (setImmediate), so many replies or requests
// produced while handling one batch of socket reads leave in one write per
// socket. Must not know about requests or replies.
import type { Socket } from 'node:net';

export interface Flushable {
  flush(): void;
}

let dirty: Flushable[] = [];
let scheduled = false;
let soon: Flushable[] = [];
let soonScheduled = false;

function run(): void {
  scheduled = false;
  const list = dirty;
  dirty = [];
  for (let i = 0; i < list.length; i++) list[i].flush();
}

function runSoon(): void {
  soonScheduled = false;
  const list = soon;
  soon = [];
  for (let i = 0; i < list.length; i++) list[i].flush();
}

/**
 * Queue `f` to be flushed once every socket read of this event-loop turn was
 * handled (setImmediate): requests from many clients bound for one backend
 * leave in one write. Callers keep their own "already queued" flag.
 */
export function scheduleFlush(f: Flushable): void {
  dirty.push(f);
  if (!scheduled) {
    scheduled = true;
    setImmediate(run);
  }
}

/**
 * Queue `f` to be flushed right after the current socket callback
 * (process.nextTick): everything one backend read produced for a client leaves
 * in one write, without waiting for the rest of the turn. For client replies.
 */
export function scheduleFlushSoon(f: Flushable): void {
  soon.push(f);
  if (!soonScheduled) {
    soonScheduled = true;
    process.nextTick(runSoon);
  }
}

/** Small total: copy into one buffer (one syscall, no writev bookkeeping); else cork and write each. */
const CONCAT_LIMIT = 64 * 1024;

/** Write the chunks to the socket as one batch; returns socket.write's backpressure verdict. */
export function writeChunks(socket: Socket, chunks: Buffer[], total: number): boolean {
  if (chunks.length === 1) return socket.write(chunks[0]);
  if (total <= CONCAT_LIMIT) return socket.write(Buffer.concat(chunks, total));
  socket.cork();
  let ok = true;
  for (let i = 0; i < chunks.length; i++) ok = socket.write(chunks[i]);
  socket.uncork();
  return ok;
}
