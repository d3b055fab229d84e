// String values the node may write in place (SETBIT, BITFIELD, APPEND, SETRANGE,
// PFADD/PFMERGE, PFCOUNT's cached cardinality), in amortized O(1) per write.
//
// A stored string is usually the request's own argument: a view into an 8 KB
// slab shared with other requests' arguments and with the write stream queues
// (request-args.ts). Such a value is never written to. The first in-place write
// copies it once into a buffer of its own (Entry.own), and later writes go
// straight to that buffer; growth reserves spare capacity as Redis's
// sdsMakeRoomFor does (double below 1 MB, +1 MB above), so the value is a view
// of the first `length` bytes of a larger buffer. The memory estimate counts the
// whole buffer. A value handed out (GET in EXEC, in-process calls) is copied
// while it is the node's own, since a later write would change it.
//
// Callers must have looked the key up with Keyspace.write() first: that is what
// hands the old value to a running snapshot before it changes.
import { T } from '../dump.js';
import type { Entry, Keyspace } from '../keyspace.js';

const MB = 1024 * 1024;

/** Redis's greedy growth: room for `len` bytes and as many again (at most 1 MB more). */
function roomFor(len: number): number { return len < MB ? len * 2 : len + MB; }

/** The capacity of a node-owned value (its backing buffer's size). */
export function capacity(v: Buffer): number { return v.buffer.byteLength; }

/** The bytes e's string value is counted for: its whole buffer when the node owns it, else its length. */
export function heldBytes(e: Entry): number { const v = e.v as Buffer; return e.own ? capacity(v) : v.length; }

/**
 * Make e's value the node's own with at least `len` bytes (bytes past the old length are zero)
 * and return it: a Buffer of exactly `len` bytes (or the old length when larger) that may be
 * written in place until the next call.
 */
export function writable(ks: Keyspace, e: Entry, len: number): Buffer {
  const cur = e.v as Buffer;
  const n = Math.max(len, cur.length);
  if (e.own) {
    if (n === cur.length) return cur;
    if (n <= capacity(cur)) {
      const v = Buffer.from(cur.buffer, 0, n);
      v.fill(0, cur.length);
      e.v = v;
      return v;
    }
  }
  const cap = n > cur.length ? roomFor(n) : n;
  const backing = Buffer.alloc(cap); // zero-filled, an ArrayBuffer of its own at offset 0
  cur.copy(backing);
  const v = cap === n ? backing : Buffer.from(backing.buffer, 0, n);
  ks.grow(e, cap - heldBytes(e));
  e.v = v;
  e.own = true;
  return v;
}

/** Make e's value a node-owned copy of src (reusing its own buffer when it has room). */
export function assign(ks: Keyspace, e: Entry, src: Uint8Array): Buffer {
  const cur = e.v as Buffer;
  if (e.own && capacity(cur) >= src.length) {
    const v = Buffer.from(cur.buffer, 0, src.length);
    v.set(src);
    e.v = v;
    return v;
  }
  const v = Buffer.alloc(src.length);
  v.set(src);
  ks.grow(e, v.length - heldBytes(e));
  e.v = v;
  e.own = true;
  return v;
}

/** Shorten an owned value in place (HyperLogLog sparse edits); the capacity stays. */
export function truncate(e: Entry, len: number): void {
  const cur = e.v as Buffer;
  if (!e.own || len > cur.length) throw new Error('truncate: not an owned value or longer');
  e.v = Buffer.from(cur.buffer, 0, len);
}

/** Store a buffer the node just allocated with ownedBuffer() or Buffer.alloc() (never pooled, never queued elsewhere) as key's string value, marked as its own. */
export function setOwned(ks: Keyspace, key: string, v: Buffer, exp = 0): Entry {
  const e = ks.set(key, T.String, v, exp);
  if (v.byteOffset !== 0) throw new Error('setOwned: not a buffer of its own');
  e.own = true;
  ks.grow(e, capacity(v) - v.length);
  return e;
}

/** A fresh, node-owned buffer of `len` zero bytes. */
export function ownedBuffer(len: number): Buffer { return Buffer.alloc(len); }

/** The value to hand out: a copy while it is the node's own (a later in-place write would change it). */
export function outValue(e: Entry): Buffer { return e.own ? Buffer.from(e.v as Buffer) : e.v as Buffer; }
