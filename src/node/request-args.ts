// The arguments of one request, copied out of the socket's read buffer (which
// the next read overwrites) into buffers the node owns: commands may keep them
// as values, queue them (MULTI, blocked clients) and propagate them.
//
// A small request is copied whole into the current 8 KB slab and its arguments
// are views of that copy; an argument of a large request is copied on its own
// (into the slab when small), so a value kept from a big MSET never pins the
// rest of it. A kept value pins at most its slab, as any Buffer from Node's pool
// pins its pool slab.
//
// Views are made with `new ArgBuffer(arrayBuffer, offset, length)`: an
// Uint8Array with Buffer's prototype, what Node's own Buffer instances are;
// `subarray` would read the parent's `buffer` and `byteOffset` first, two calls
// into C++ per argument (MSET of 10 keys: 21 arguments, about a quarter of its
// in-process cost).

/** Buffer methods on a plain Uint8Array view (Buffer.isBuffer and instanceof Buffer hold). */
class ArgBuffer extends Uint8Array {}
Object.setPrototypeOf(ArgBuffer.prototype, Buffer.prototype);

const SLAB_BYTES = Buffer.poolSize;
/** a request or argument this large or larger gets its own buffer, as Buffer.allocUnsafe does */
const OWN_BUFFER_FROM = SLAB_BYTES >>> 1;

// allocUnsafeSlow: a buffer of its own, at offset 0 of its ArrayBuffer
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabBuffer = slab.buffer;
let slabUsed = 0;

/** Copy src[start,end) into the slab; returns the offset in slabBuffer it starts at (the slab may be replaced first: read slabBuffer after). */
function toSlab(src: Buffer, start: number, end: number): number {
  const n = end - start;
  if (slabUsed + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabBuffer = slab.buffer;
    slabUsed = 0;
  }
  const at = slabUsed;
  if (n > 64) src.copy(slab, at, start, end);
  else for (let i = start, o = at; i < end; i++) slab[o++] = src[i]!;
  slabUsed += n;
  return at;
}

/**
 * The argc arguments of buf[start,end) (args holds each one's start and end offsets in buf),
 * as Buffers that stay valid after buf is reused.
 */
export function ownArguments(buf: Buffer, start: number, end: number, argc: number, args: Int32Array): Buffer[] {
  const argv: Buffer[] = new Array(argc);
  if (end - start < OWN_BUFFER_FROM) {
    const shift = toSlab(buf, start, end) - start;
    for (let i = 0; i < argc; i++) {
      const a = args[2 * i]!;
      argv[i] = new ArgBuffer(slabBuffer, shift + a, args[2 * i + 1]! - a) as Buffer;
    }
    return argv;
  }
  for (let i = 0; i < argc; i++) {
    const a = args[2 * i]!;
    const b = args[2 * i + 1]!;
    if (b - a < OWN_BUFFER_FROM) { const at = toSlab(buf, a, b); argv[i] = new ArgBuffer(slabBuffer, at, b - a) as Buffer; }
    else { const own = Buffer.allocUnsafeSlow(b - a); buf.copy(own, 0, a, b); argv[i] = own; }
  }
  return argv;
}
