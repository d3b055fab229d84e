// Reading sockets into one shared, reused buffer instead of a new Buffer per
// read: Node's `onread` option. Each read is handed to `onChunk` as a view of
// the shared buffer, valid only during that call — whoever keeps bytes past
// it must copy them (the scanners copy what they hold; requests and replies
// are copied into the output buffer they leave by).
//
// Why: with 'data' events every read allocates an ArrayBuffer, goes through
// the Readable machinery (push, addChunk, emit) and queues a nextTick; at
// pipeline 1 that is one of each per request (docs/performance.md).
//
// net.connect takes `onread` (documented). Accepted sockets are made by
// net.Server, which does not take it, so the same switch is made on the
// accepted socket right after accept, before its first read: the stream
// handle is told to read into the buffer (`useUserBuffer`) and the socket
// gets the two fields `onread` would have set, found by their values on a
// socket built with the documented option. Where that probe fails (another
// Node release), accepted sockets fall back to 'data' events.
import net from 'node:net';

/** Bytes one read can bring; the same for every socket (reads are handled one at a time). */
const SHARED = Buffer.allocUnsafe(64 * 1024);

/** Called with a view of the shared buffer (or a Buffer of its own, on the fallback path). */
export type ChunkHandler = (chunk: Buffer) => void;

/** Whether `buf` is a view of the shared read buffer (so it must be copied to be kept). */
export function isShared(buf: Buffer): boolean {
  return buf.buffer === SHARED.buffer;
}

/** buf[start,end) to keep past the current read: a copy if it lives in the shared buffer, else a view. */
export function keep(buf: Buffer, start: number, end: number): Buffer {
  if (buf.buffer !== SHARED.buffer) return buf.subarray(start, end);
  const out = Buffer.allocUnsafe(end - start);
  if (end - start > 64) buf.copy(out, 0, start, end);
  else for (let i = start, o = 0; i < end; i++, o++) out[o] = buf[i];
  return out;
}

/** Options for net.connect that read into the shared buffer. */
export function sharedReadOption(onChunk: ChunkHandler): net.OnReadOpts {
  return { buffer: SHARED, callback: (n: number, buf: Uint8Array) => { onChunk((buf as Buffer).subarray(0, n)); return true; } };
}

interface Probe { kBuffer: symbol; kBufferCb: symbol; kBufferGen: symbol | null }

function probeSymbols(): Probe | null {
  try {
    const cb = (): boolean => true;
    const s = new net.Socket({ onread: { buffer: SHARED, callback: cb } } as net.SocketConstructorOpts);
    let kBuffer: symbol | null = null;
    let kBufferCb: symbol | null = null;
    let kBufferGen: symbol | null = null;
    const rec = s as unknown as Record<symbol, unknown>;
    for (const sym of Object.getOwnPropertySymbols(s)) {
      if (rec[sym] === SHARED) kBuffer = sym;
      else if (rec[sym] === cb) kBufferCb = sym;
      else if (sym.description === 'kBufferGen') kBufferGen = sym;
    }
    s.destroy();
    return kBuffer !== null && kBufferCb !== null ? { kBuffer, kBufferCb, kBufferGen } : null;
  } catch {
    return null;
  }
}

const probe = probeSymbols();

interface UserBufferHandle { useUserBuffer?: (buf: Uint8Array) => void }

/**
 * Route the reads of a just-accepted socket to `onChunk` (shared buffer when
 * the platform allows, 'data' events otherwise). Returns which one was used.
 */
export function readAccepted(socket: net.Socket, onChunk: ChunkHandler): 'shared' | 'data' {
  const handle = (socket as unknown as { _handle: UserBufferHandle | null })._handle;
  if (probe !== null && handle !== null && typeof handle.useUserBuffer === 'function') {
    const rec = socket as unknown as Record<symbol, unknown>;
    rec[probe.kBuffer] = SHARED;
    rec[probe.kBufferCb] = (n: number, buf: Buffer) => { onChunk(buf.subarray(0, n)); };
    if (probe.kBufferGen !== null) rec[probe.kBufferGen] = null;
    handle.useUserBuffer(SHARED);
    return 'shared';
  }
  socket.on('data', onChunk);
  return 'data';
}
