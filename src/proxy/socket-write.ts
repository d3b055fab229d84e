// Writing a buffer straight to a socket's stream handle, below Node's Writable
// layer: one C++ call that tries the write at once, with no WriteWrap object,
// no write-state bookkeeping and no nextTick per write when the kernel takes
// everything (at pipeline 1: every write). What the kernel does not take at
// once is queued by libuv in order and the buffer is kept alive until written;
// 'drain' is emitted on the socket when such a backlog past the socket's
// high-water mark empties, as Writable would.
//
// The handle's writeBuffer and the stream_wrap binding are Node internals
// (process.binding). Where they are missing (another Node release, or
// SHARDGATE_SOCKET_WRITE=stream), and whenever the socket's own Writable has
// anything buffered, the write goes through socket.write, so the order of bytes
// is kept either way. Only for plain TCP and Unix sockets: a TLS socket's
// handle encrypts, and must be written through socket.write.
import type net from 'node:net';
import { getSystemErrorName } from 'node:util';

/** What became of a write. */
export const enum Wrote {
  /** The kernel took every byte: the buffer may be reused. */
  All = 0,
  /** Some bytes are queued: the buffer must stay untouched; write more as usual. */
  Queued = 1,
  /** Queued past the high-water mark: stop writing until the socket's 'drain'. */
  Blocked = 2,
}

interface WriteReq {
  oncomplete: ((status: number) => void) | null;
  buffer: Buffer | null;
  socket: net.Socket | null;
}
interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}
interface WriteHandle {
  writeBuffer?: (req: WriteReq, buf: Buffer) => number;
}

function loadBinding(): StreamWrapBinding | null {
  if (process.env.SHARDGATE_SOCKET_WRITE === 'stream') return null;
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap');
    if (typeof b.WriteWrap === 'function' && b.streamBaseState instanceof Int32Array && typeof b.kLastWriteWasAsync === 'number') {
      return b as StreamWrapBinding;
    }
  } catch {
    // not available here: every write goes through socket.write
  }
  return null;
}

const binding = loadBinding();

/** How sockets are written here: straight to the handle, or through Writable. */
export function writeMode(): 'direct' | 'stream' {
  return binding !== null ? 'direct' : 'stream';
}

/** Bytes of direct writes still queued per socket, and whether a 'drain' is owed. */
interface Backlog { bytes: number; needDrain: boolean }
const backlogs = new WeakMap<net.Socket, Backlog>();

/** Bytes written to the socket and not yet taken by the kernel, by either path. */
export function queuedBytes(socket: net.Socket): number {
  return socket.writableLength + (backlogs.get(socket)?.bytes ?? 0);
}

/** A request object that finished synchronously is reused for the next write. */
let spare: WriteReq | null = null;

function onComplete(this: WriteReq, status: number): void {
  const socket = this.socket!;
  const backlog = backlogs.get(socket);
  const n = this.buffer!.length;
  this.buffer = null;
  this.socket = null;
  if (status < 0) {
    if (!socket.destroyed) socket.destroy(writeError(status));
    return;
  }
  if (backlog === undefined) return;
  backlog.bytes -= n;
  if (backlog.bytes === 0) {
    backlogs.delete(socket);
    if (backlog.needDrain && !socket.destroyed) socket.emit('drain');
  }
}

/** An error like the one Node's own write path raises ("write EPIPE", with errno, code and syscall). */
function writeError(errno: number): Error {
  let code = `E${-errno}`;
  try { code = getSystemErrorName(errno); } catch { /* not a known errno */ }
  return Object.assign(new Error(`write ${code}`), { errno, code, syscall: 'write' });
}

/** Write buf to the socket now; see Wrote for what the caller may do next. */
export function writeBuffer(socket: net.Socket, buf: Buffer): Wrote {
  const handle = (socket as unknown as { _handle: WriteHandle | null })._handle;
  if (binding === null || handle === null || typeof handle.writeBuffer !== 'function' || socket.writableLength !== 0 || !socket.writable) {
    const ok = socket.write(buf);
    return !ok ? Wrote.Blocked : socket.writableLength === 0 ? Wrote.All : Wrote.Queued;
  }
  const req = spare ?? new binding.WriteWrap();
  spare = null;
  const err = handle.writeBuffer(req, buf);
  if (err !== 0) {
    spare = req;
    socket.destroy(writeError(err));
    return Wrote.Blocked;
  }
  if (binding.streamBaseState[binding.kLastWriteWasAsync] === 0) {
    spare = req;
    return Wrote.All;
  }
  // libuv holds the rest of buf: keep it alive and count it until the write completes.
  req.buffer = buf;
  req.socket = socket;
  req.oncomplete = onComplete;
  let backlog = backlogs.get(socket);
  if (backlog === undefined) backlogs.set(socket, backlog = { bytes: 0, needDrain: false });
  backlog.bytes += buf.length;
  if (backlog.bytes < socket.writableHighWaterMark) return Wrote.Queued;
  backlog.needDrain = true;
  return Wrote.Blocked;
}
