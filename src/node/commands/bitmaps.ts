// Bitmap commands of the node: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
// BITFIELD, BITFIELD_RO. Replies, errors and quirks follow redis-server 7.0
// (src/bitops.c): bit 0 is the most significant bit of byte 0, offsets are
// limited to 2^32-1 bits (512 MB) except for the master's stream, a string
// grows with zero bytes. Writes go in place through types/owned-string.ts
// (copy once, then O(1)); the key is looked up with Keyspace.write() first.
import { ReplyError } from '../contracts.js';
import type { Entry } from '../keyspace.js';
import type { NodeReply } from '../reply.js';
import { def, type Call, type Cmd } from './types.js';
import { E, lower, parseInt64, str } from './util.js';
import { getStr } from './strings.js';
import { ownedBuffer, setOwned, writable } from '../types/owned-string.js';

const MAX_BYTES = 512 * 1024 * 1024;
const offsetErr = new ReplyError('ERR bit offset is not an integer or out of range');
const bitErr = new ReplyError('ERR bit is not an integer or out of range');
const typeErr = new ReplyError('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');
const EMPTY = Buffer.alloc(0);

/** A bit offset argument (`#n` = n * bits when hash), or the error reply. */
function bitOffset(c: Call, b: Buffer, hash = false, bits = 0): number | ReplyError {
  const useHash = hash && bits > 0 && b.length > 0 && b[0] === 0x23;
  const n = parseInt64(useHash ? b.subarray(1) : b);
  if (n === null) return offsetErr;
  const off = useHash ? BigInt.asIntN(64, n * BigInt(bits)) : n;
  if (off < 0n || (!c.client.internal && off >> 3n >= BigInt(MAX_BYTES))) return offsetErr;
  return Number(off);
}

/** The string at key for reading: its bytes (undefined when missing), or WRONGTYPE. */
function readBytes(c: Call, key: string): Buffer | undefined | ReplyError {
  const e = getStr(c, key);
  return e === undefined || e instanceof ReplyError ? e : e.v as Buffer;
}

/** Redis's lookupStringForBitCommand: the key's value grown (zero bytes) to cover bit `maxBit`, writable in place; grew tells whether it was created or grew. */
function bitTarget(c: Call, key: string, maxBit: number): { e: Entry; v: Buffer; grew: boolean } | ReplyError {
  const byte = Math.floor(maxBit / 8);
  const e = getStr(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) {
    const v = ownedBuffer(byte + 1);
    return { e: setOwned(c.ks, key, v), v, grew: true };
  }
  const old = (e.v as Buffer).length;
  const v = writable(c.ks, e, byte + 1);
  return { e, v, grew: v.length !== old };
}

function setbit(c: Call): NodeReply {
  const off = bitOffset(c, c.argv[2]!);
  if (off instanceof ReplyError) return off;
  const on = parseInt64(c.argv[3]!);
  if (on === null || (on !== 0n && on !== 1n)) return bitErr;
  const t = bitTarget(c, str(c.argv[1]!), off);
  if (t instanceof ReplyError) return t;
  const byte = Math.floor(off / 8);
  const mask = 1 << (7 - (off & 7));
  const was = (t.v[byte]! & mask) !== 0;
  if (t.grew || was !== (on === 1n)) {
    t.v[byte] = on === 1n ? t.v[byte]! | mask : t.v[byte]! & ~mask;
    c.ks.dirty++;
  }
  return was ? 1 : 0;
}

function getbit(c: Call): NodeReply {
  const off = bitOffset(c, c.argv[2]!);
  if (off instanceof ReplyError) return off;
  const v = readBytes(c, str(c.argv[1]!));
  if (v === undefined || v instanceof ReplyError) return v ?? 0;
  const byte = Math.floor(off / 8);
  return byte < v.length && (v[byte]! & (1 << (7 - (off & 7)))) !== 0 ? 1 : 0;
}

const POP = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP[i] = (i & 1) + POP[i >> 1]!;

function popcount(v: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i <= end; i++) n += POP[v[i]!]!;
  return n;
}

/** BITCOUNT/BITPOS range: start/end (already parsed) in bytes or bits, clamped as Redis does; masks for partial first/last bytes. */
function clampRange(start: bigint, end: bigint, len: number, isBit: boolean): { start: number; end: number; first: number; last: number } {
  const tot = BigInt(isBit ? len * 8 : len);
  if (start < 0n) start = tot + start;
  if (end < 0n) end = tot + end;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= tot) end = tot - 1n;
  let s = Number(start); let e = Number(end);
  let first = 0; let last = 0;
  if (isBit && s <= e) {
    first = ~((1 << (8 - (s & 7))) - 1) & 0xff;
    last = (1 << (7 - (e & 7))) - 1;
    s = Math.floor(s / 8); e = Math.floor(e / 8);
  }
  return { start: s, end: e, first, last };
}

function unit(b: Buffer): boolean | null {
  const u = lower(b);
  return u === 'bit' ? true : u === 'byte' ? false : null;
}

function bitcount(c: Call): NodeReply {
  const v = readBytes(c, str(c.argv[1]!));
  if (v === undefined || v instanceof ReplyError) return v ?? 0;
  const argc = c.argv.length;
  let r;
  if (argc === 4 || argc === 5) {
    const s = parseInt64(c.argv[2]!); if (s === null) return E.notInt;
    const en = parseInt64(c.argv[3]!); if (en === null) return E.notInt;
    if (s < 0n && en < 0n && s > en) return 0;
    let isBit = false;
    if (argc === 5) { const u = unit(c.argv[4]!); if (u === null) return E.syntax; isBit = u; }
    r = clampRange(s, en, v.length, isBit);
  } else if (argc === 2) r = { start: 0, end: v.length - 1, first: 0, last: 0 };
  else return E.syntax;
  if (r.start > r.end) return 0;
  let n = popcount(v, r.start, r.end);
  if (r.first !== 0) n -= POP[v[r.start]! & r.first]!;
  if (r.last !== 0) n -= POP[v[r.end]! & r.last]!;
  return n;
}

/** Redis's redisBitpos: first position of `bit` in p[start, start+count) as if zero-padded on the right (bit 1 not found: -1). */
function findBit(p: Uint8Array, start: number, count: number, bit: number): number {
  const skip = bit ? 0 : 0xff;
  for (let i = 0; i < count; i++) {
    const b = p[start + i]!;
    if (b === skip) continue;
    for (let k = 0; k < 8; k++) if (((b >> (7 - k)) & 1) === bit) return i * 8 + k;
  }
  return bit ? -1 : count * 8;
}

function bitpos(c: Call): NodeReply {
  const bitArg = parseInt64(c.argv[2]!);
  if (bitArg === null) return E.notInt;
  if (bitArg !== 0n && bitArg !== 1n) return new ReplyError('ERR The bit argument must be 1 or 0.');
  const bit = Number(bitArg);
  const v = readBytes(c, str(c.argv[1]!));
  if (v instanceof ReplyError) return v;
  if (v === undefined) return bit ? -1 : 0;
  const argc = c.argv.length;
  let endGiven = false;
  let r;
  if (argc >= 4 && argc <= 6) {
    const s = parseInt64(c.argv[3]!); if (s === null) return E.notInt;
    let isBit = false;
    if (argc === 6) { const u = unit(c.argv[5]!); if (u === null) return E.syntax; isBit = u; }
    let en: bigint;
    if (argc >= 5) { const x = parseInt64(c.argv[4]!); if (x === null) return E.notInt; en = x; endGiven = true; }
    else en = isBit ? BigInt(v.length) * 8n + 7n : BigInt(v.length) - 1n;
    r = clampRange(s, en, v.length, isBit);
  } else if (argc === 3) r = { start: 0, end: v.length - 1, first: 0, last: 0 };
  else return E.syntax;
  if (r.start > r.end) return -1;
  let { start } = r;
  let bytes = r.end - r.start + 1;
  let pos: number;
  const one = new Uint8Array(1);
  done: {
    if (r.first !== 0) {
      let t = bit ? v[start]! & ~r.first : v[start]! | r.first;
      if (r.last !== 0 && bytes === 1) t = bit ? t & ~r.last : t | r.last;
      one[0] = t;
      pos = findBit(one, 0, 1, bit);
      if (bytes === 1 || (pos !== -1 && pos !== 8)) break done;
      start++; bytes--;
    }
    const cur = bytes - (r.last !== 0 ? 1 : 0);
    if (cur > 0) {
      pos = findBit(v, start, cur, bit);
      if (bytes === cur || (pos !== -1 && pos !== cur * 8)) break done;
      start += cur; bytes -= cur;
    }
    one[0] = bit ? v[r.end]! & ~r.last : v[r.end]! | r.last;
    pos = findBit(one, 0, 1, bit);
  }
  if (endGiven && bit === 0 && pos! === bytes * 8) return -1;
  return pos! !== -1 ? pos! + start * 8 : -1;
}

function bitop(c: Call): NodeReply {
  const op = lower(c.argv[1]!);
  if (op !== 'and' && op !== 'or' && op !== 'xor' && op !== 'not') return E.syntax;
  if (op === 'not' && c.argv.length !== 4) return new ReplyError('ERR BITOP NOT must be called with a single source key.');
  const src: Buffer[] = [];
  let maxlen = 0;
  for (let i = 3; i < c.argv.length; i++) {
    const v = readBytes(c, str(c.argv[i]!));
    if (v instanceof ReplyError) return v;
    const b = v ?? EMPTY;
    src.push(b);
    if (b.length > maxlen) maxlen = b.length;
  }
  const dest = str(c.argv[2]!);
  if (maxlen === 0) {
    if (c.ks.peek(dest) !== undefined) { c.ks.write(dest); c.ks.delete(dest); c.ks.dirty++; }
    return 0;
  }
  const res = ownedBuffer(maxlen);
  const first = src[0]!;
  if (op === 'not') { for (let j = 0; j < maxlen; j++) res[j] = ~(j < first.length ? first[j]! : 0) & 0xff; }
  else {
    first.copy(res);
    for (let i = 1; i < src.length; i++) {
      const b = src[i]!;
      if (op === 'and') { for (let j = 0; j < maxlen; j++) res[j]! &= j < b.length ? b[j]! : 0; }
      else if (op === 'or') { for (let j = 0; j < b.length; j++) res[j]! |= b[j]!; }
      else for (let j = 0; j < b.length; j++) res[j]! ^= b[j]!;
    }
  }
  c.ks.write(dest);
  setOwned(c.ks, dest, res);
  c.ks.dirty++;
  return maxlen;
}

// ---- BITFIELD ----
interface FieldOp { get: boolean; incr: boolean; off: number; bits: number; signed: boolean; val: bigint; ow: 'wrap' | 'sat' | 'fail' }

function getField(p: Uint8Array, off: number, bits: number, signed: boolean, limit = p.length): bigint {
  let v = 0n;
  for (let j = 0; j < bits; j++) {
    const o = off + j;
    const byte = Math.floor(o / 8);
    const b = byte < limit ? (p[byte]! >> (7 - (o & 7))) & 1 : 0;
    v = (v << 1n) | BigInt(b);
  }
  return signed ? BigInt.asIntN(bits, v) : v;
}

function setField(p: Uint8Array, off: number, bits: number, value: bigint): void {
  const u = BigInt.asUintN(64, value);
  for (let j = 0; j < bits; j++) {
    const o = off + j;
    const byte = Math.floor(o / 8);
    const mask = 1 << (7 - (o & 7));
    if ((u >> BigInt(bits - 1 - j)) & 1n) p[byte] = p[byte]! | mask; else p[byte] = p[byte]! & ~mask;
  }
}

/** Redis's check{Unsigned,Signed}BitfieldOverflow: [overflow (0, 1, -1), value to store on WRAP/SAT]. */
function overflow(value: bigint, incr: bigint, bits: number, signed: boolean, ow: FieldOp['ow']): [number, bigint | null] {
  const B = BigInt(bits);
  if (!signed) {
    const max = (1n << B) - 1n;
    const v = BigInt.asUintN(64, value);
    const wrap = (): bigint => BigInt.asUintN(64, v + incr) & max;
    const maxincr = BigInt.asIntN(64, max - v);
    if (v > max || (incr > 0n && incr > maxincr)) return [1, ow === 'wrap' ? wrap() : ow === 'sat' ? max : null];
    if (incr < 0n && incr < -v) return [-1, ow === 'wrap' ? wrap() : ow === 'sat' ? 0n : null];
    return [0, null];
  }
  const max = bits === 64 ? (1n << 63n) - 1n : (1n << (B - 1n)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  const wrap = (): bigint => BigInt.asIntN(bits, BigInt.asUintN(64, value + incr));
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) return [1, ow === 'wrap' ? wrap() : ow === 'sat' ? max : null];
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) return [-1, ow === 'wrap' ? wrap() : ow === 'sat' ? min : null];
  return [0, null];
}

const num = (n: bigint): number | bigint => (n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n);

function bitfield(c: Call, ro: boolean): NodeReply {
  const { argv } = c;
  const ops: FieldOp[] = [];
  let ow: FieldOp['ow'] = 'wrap';
  let readonly = true;
  let highest = 0;
  for (let j = 2; j < argv.length; j++) {
    const rem = argv.length - j - 1;
    const sub = lower(argv[j]!);
    let get = false; let incr = false;
    if (sub === 'get' && rem >= 2) get = true;
    else if (sub === 'set' && rem >= 3) { /* set */ }
    else if (sub === 'incrby' && rem >= 3) incr = true;
    else if (sub === 'overflow' && rem >= 1) {
      const t = lower(argv[++j]!);
      if (t !== 'wrap' && t !== 'sat' && t !== 'fail') return new ReplyError('ERR Invalid OVERFLOW type specified');
      ow = t;
      continue;
    } else return E.syntax;
    const ty = argv[j + 1]!.latin1Slice(0, argv[j + 1]!.length);
    const signed = ty[0] === 'i';
    if (!signed && ty[0] !== 'u') return typeErr;
    const nb = parseInt64(Buffer.from(ty.slice(1).split('\0')[0]!, 'latin1'));
    if (nb === null || nb < 1n || (signed && nb > 64n) || (!signed && nb > 63n)) return typeErr;
    const bits = Number(nb);
    const off = bitOffset(c, argv[j + 2]!, true, bits);
    if (off instanceof ReplyError) return off;
    let val = 0n;
    if (!get) {
      readonly = false;
      if (highest < off + bits - 1) highest = off + bits - 1;
      const n = parseInt64(argv[j + 3]!);
      if (n === null) return E.notInt;
      val = n;
    }
    ops.push({ get, incr, off, bits, signed, val, ow });
    j += get ? 2 : 3;
  }
  const key = str(argv[1]!);
  let v: Buffer | undefined;
  let grew = false;
  if (readonly) {
    const r = readBytes(c, key);
    if (r instanceof ReplyError) return r;
    v = r;
  } else {
    if (ro) return new ReplyError('ERR BITFIELD_RO only supports the GET subcommand');
    const t = bitTarget(c, key, highest);
    if (t instanceof ReplyError) return t;
    v = t.v; grew = t.grew;
  }
  const out: (number | bigint | null)[] = [];
  let changes = 0;
  for (const op of ops) {
    if (op.get) { out.push(num(v === undefined ? 0n : getField(v, op.off, op.bits, op.signed))); continue; }
    const p = v!;
    const old = getField(p, op.off, op.bits, op.signed);
    let nv: bigint; let ret: bigint;
    let o: [number, bigint | null];
    if (op.incr) {
      o = overflow(old, op.val, op.bits, op.signed, op.ow);
      nv = o[0] !== 0 && o[1] !== null ? o[1] : op.signed ? BigInt.asIntN(64, old + op.val) : BigInt.asUintN(64, old + op.val);
      ret = nv;
    } else {
      nv = op.signed ? op.val : BigInt.asUintN(64, op.val);
      o = overflow(nv, 0n, op.bits, op.signed, op.ow);
      if (o[0] !== 0 && o[1] !== null) nv = o[1];
      ret = old;
    }
    if (o[0] !== 0 && op.ow === 'fail') { out.push(null); continue; }
    out.push(num(ret));
    setField(p, op.off, op.bits, nv);
    if (grew || old !== (op.signed ? BigInt.asIntN(op.bits, nv) : BigInt.asUintN(op.bits, nv))) changes++;
  }
  c.ks.dirty += changes;
  return out;
}

export function bitmapCommands(): Cmd[] {
  const W = ['write', 'denyoom'] as const;
  const k1: [number, number, number] = [1, 1, 1];
  return [
    def('setbit', 4, W, k1, setbit),
    def('getbit', 3, ['readonly', 'fast'], k1, getbit),
    def('bitcount', -2, ['readonly'], k1, bitcount),
    def('bitpos', -3, ['readonly'], k1, bitpos),
    def('bitop', -4, W, [2, -1, 1], bitop),
    def('bitfield', -2, W, k1, (c) => bitfield(c, false)),
    def('bitfield_ro', -2, ['readonly', 'fast'], k1, (c) => bitfield(c, true)),
  ];
}
