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
// Node release), accepted sockets fall back to 'data' events. TLS sockets
// always use 'data' events: their handle would lend the buffer to the
// encrypted bytes, not to the plaintext the proxy reads.
import net from 'node:net';
import tls from 'node:tls';
import { copyInto } from './copy.js';

/** Bytes one read can bring; the same for every socket (reads are handled one at a time). */
const SHARED = Buffer.allocUnsafe(64 * 1024);

/** Called with a view of the shared buffer (or a Buffer of its own, on the fallback path). */
export type ChunkHandler = (chunk: Buffer) => void;

/** The view handed to the handler running now (null between reads). */
let lent: Buffer | null = null;

/** Views of the shared buffer's first n bytes, made once per small n (a view per read costs more than the read's own handling). */
const VIEW_CACHE_MAX = 1024;
const views: (Buffer | undefined)[] = [];

/** What the handler running now asked to run once it returns (runAfterRead). */
let afterRead: (() => void) | null = null;

function deliver(onChunk: ChunkHandler, n: number): void {
  const view = n <= VIEW_CACHE_MAX ? (views[n] ??= SHARED.subarray(0, n)) : SHARED.subarray(0, n);
  lent = view;
  try {
    onChunk(view);
  } finally {
    lent = null;
    const after = afterRead;
    if (after !== null) {
      afterRead = null;
      after();
    }
  }
}

/**
 * Run `fn` once the read handler running now returns — what a nextTick queued
 * there would do, without a nextTick object per read. False when no read
 * handler is running (or one `fn` is already waiting): the caller schedules
 * `fn` itself.
 */
export function runAfterRead(fn: () => void): boolean {
  if (lent === null || afterRead !== null) return false;
  afterRead = fn;
  return true;
}

/** buf[start,end) to keep past the current read: a copy if it lives in the shared buffer, else a view. */
export function keep(buf: Buffer, start: number, end: number): Buffer {
  if (buf !== lent) return buf.subarray(start, end);
  const out = Buffer.allocUnsafe(end - start);
  copyInto(buf, start, end, out, 0);
  return out;
}

/**
 * `SHARDGATE_SOCKET_READ=data` turns the shared buffer off (every socket uses
 * 'data' events): a diagnostic switch, and how the tests cover the fallback.
 */
const SHARED_ENABLED = process.env.SHARDGATE_SOCKET_READ !== 'data';

/**
 * Connect to `target`, handing every read to `onChunk` (through the shared
 * buffer unless it is switched off).
 */
export function connectReading(target: { path: string } | { host: string; port: number }, onChunk: ChunkHandler): net.Socket {
  if (!SHARED_ENABLED) return net.connect(target).on('data', onChunk);
  const onread = { buffer: SHARED, callback: (n: number) => { deliver(onChunk, n); return true; } };
  return net.connect({ ...target, onread });
}

/** Connect with TLS; reads come by 'data' events (the plaintext the TLS layer hands up). */
export function connectReadingTls(target: { path: string } | { host: string; port: number }, options: tls.ConnectionOptions, onChunk: ChunkHandler): tls.TLSSocket {
  return tls.connect({ ...target, ...options }).on('data', onChunk);
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

const probe = SHARED_ENABLED ? probeSymbols() : null;

interface UserBufferHandle { useUserBuffer?: (buf: Uint8Array) => void }

/** How accepted sockets are read here: into the shared buffer, or through 'data' events. */
export function acceptedReadMode(): 'shared' | 'data' {
  return probe !== null ? 'shared' : 'data';
}

/**
 * Route the reads of a just-accepted socket to `onChunk` (shared buffer when
 * the platform allows, 'data' events otherwise; acceptedReadMode() tells which).
 */
export function readAccepted(socket: net.Socket, onChunk: ChunkHandler): void {
  if ((socket as { encrypted?: boolean }).encrypted === true) {
    socket.on('data', onChunk);
    return;
  }
  const handle = (socket as unknown as { _handle: UserBufferHandle | null })._handle;
  if (probe !== null && handle !== null && typeof handle.useUserBuffer === 'function') {
    const rec = socket as unknown as Record<symbol, unknown>;
    rec[probe.kBuffer] = SHARED;
    rec[probe.kBufferCb] = (n: number) => { deliver(onChunk, n); };
    if (probe.kBufferGen !== null) rec[probe.kBufferGen] = null;
    handle.useUserBuffer(SHARED);
    return;
  }
  socket.on('data', onChunk);
}
