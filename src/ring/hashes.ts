// The twelve key hash functions of nutcracker (twemproxy 0.5.0), bit for bit.
// Owns: hashing a byte range buf[start,end) to a uint32 exactly as the C code
// on x86-64 does, including its quirks:
//  - C `char` is signed there, so one_at_a_time, fnv1_32, fnv1a_32, fnv1_64,
//    fnv1a_64 and hsieh's 3-byte tail mix bytes >= 0x80 in sign-extended;
//  - fnv1_64 / fnv1a_64 return the low 32 bits, which depend only on 32-bit
//    arithmetic with the low halves of the 64-bit offset basis and prime;
//  - crc16 keeps an unmasked uint32 accumulator (bits above 16 survive);
//  - crc32 is libmemcached's ((~crc) >> 16) & 0x7fff, crc32a the plain CRC-32;
//  - murmur is MurmurHash2 seeded with 0xdeadbeef * length;
//  - jenkins is lookup3 hashlittle with initval 13.
// Must not: allocate, convert keys to strings. Written with Math.imul and |0
// on purpose (hot path); pinned by test/unit/ring/hashes.test.ts and by the
// integration test against the real nutcracker.
import { md5Words } from './md5.js';

export type HashFn = (buf: Buffer, start: number, end: number) => number;

/** Byte at i as C's signed char widened to 32 bits. */
const sb = (buf: Uint8Array, i: number): number => (buf[i]! << 24) >> 24;

export function oneAtATime(buf: Buffer, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) {
    h = (h + sb(buf, i)) | 0;
    h = (h + (h << 10)) | 0;
    h ^= h >>> 6;
  }
  h = (h + (h << 3)) | 0;
  h ^= h >>> 11;
  h = (h + (h << 15)) | 0;
  return h >>> 0;
}

const MD5_OUT = new Uint32Array(4);
export function md5(buf: Buffer, start: number, end: number): number {
  md5Words(buf, start, end, MD5_OUT);
  return MD5_OUT[0]!;
}

const CRC16 = new Uint16Array(256);
const CRC32 = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 8;
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
  CRC16[i] = c & 0xffff;
  let r = i;
  for (let k = 0; k < 8; k++) r = r & 1 ? (r >>> 1) ^ 0xedb88320 : r >>> 1;
  CRC32[i] = r;
}

export function crc16(buf: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = (crc << 8) ^ CRC16[((crc >>> 8) ^ buf[i]!) & 0xff]!;
  return crc >>> 0;
}

function crc32raw(buf: Buffer, start: number, end: number): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = CRC32[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

export function crc32(buf: Buffer, start: number, end: number): number {
  return (crc32raw(buf, start, end) >>> 16) & 0x7fff;
}

export const crc32a: HashFn = crc32raw;

// Low 32 bits of the FNV-64 offset basis 0xcbf29ce484222325 and prime 0x100000001b3.
const FNV64_INIT_LO = 0x84222325 | 0;
const FNV64_PRIME_LO = 0x1b3;
const FNV32_INIT = 0x811c9dc5 | 0;
const FNV32_PRIME = 0x01000193;

export function fnv1_64(buf: Buffer, start: number, end: number): number {
  let h = FNV64_INIT_LO;
  for (let i = start; i < end; i++) h = Math.imul(h, FNV64_PRIME_LO) ^ sb(buf, i);
  return h >>> 0;
}

export function fnv1a_64(buf: Buffer, start: number, end: number): number {
  let h = FNV64_INIT_LO;
  for (let i = start; i < end; i++) h = Math.imul(h ^ sb(buf, i), FNV64_PRIME_LO);
  return h >>> 0;
}

export function fnv1_32(buf: Buffer, start: number, end: number): number {
  let h = FNV32_INIT;
  for (let i = start; i < end; i++) h = Math.imul(h, FNV32_PRIME) ^ sb(buf, i);
  return h >>> 0;
}

export function fnv1a_32(buf: Buffer, start: number, end: number): number {
  let h = FNV32_INIT;
  for (let i = start; i < end; i++) h = Math.imul(h ^ sb(buf, i), FNV32_PRIME);
  return h >>> 0;
}

const u16 = (buf: Uint8Array, i: number): number => buf[i]! | (buf[i + 1]! << 8);

export function hsieh(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len <= 0) return 0;
  let h = 0;
  let p = start;
  for (let n = len >>> 2; n > 0; n--) {
    h = (h + u16(buf, p)) | 0;
    const tmp = (u16(buf, p + 2) << 11) ^ h;
    h = (h << 16) ^ tmp;
    p += 4;
    h = (h + (h >>> 11)) | 0;
  }
  switch (len & 3) {
    case 3:
      h = (h + u16(buf, p)) | 0;
      h ^= h << 16;
      h ^= sb(buf, p + 2) << 18;
      h = (h + (h >>> 11)) | 0;
      break;
    case 2:
      h = (h + u16(buf, p)) | 0;
      h ^= h << 11;
      h = (h + (h >>> 17)) | 0;
      break;
    case 1:
      h = (h + buf[p]!) | 0;
      h ^= h << 10;
      h = (h + (h >>> 1)) | 0;
      break;
    default:
      break;
  }
  h ^= h << 3;
  h = (h + (h >>> 5)) | 0;
  h ^= h << 4;
  h = (h + (h >>> 17)) | 0;
  h ^= h << 25;
  h = (h + (h >>> 6)) | 0;
  return h >>> 0;
}

const M = 0x5bd1e995;
export function murmur(buf: Buffer, start: number, end: number): number {
  let len = end - start;
  let h = Math.imul(0xdeadbeef | 0, len) ^ len;
  let p = start;
  while (len >= 4) {
    let k = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
    p += 4;
    len -= 4;
  }
  if (len === 3) h ^= buf[p + 2]! << 16;
  if (len >= 2) h ^= buf[p + 1]! << 8;
  if (len >= 1) h = Math.imul(h ^ buf[p]!, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h >>> 0;
}

const le32 = (buf: Uint8Array, i: number): number => buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
/** Bytes buf[i, i+n) (n < 4) as a little-endian partial word. */
function lePart(buf: Uint8Array, i: number, n: number): number {
  let v = 0;
  for (let j = n - 1; j >= 0; j--) v = (v << 8) | buf[i + j]!;
  return v;
}

/** Bob Jenkins' lookup3 hashlittle() of buf[start,end) with the given initval. */
export function lookup3(buf: Uint8Array, start: number, end: number, initval: number): number {
  let len = end - start;
  let a = (0xdeadbeef + len + initval) | 0;
  let b = a;
  let c = a;
  let p = start;
  while (len > 12) {
    a = (a + le32(buf, p)) | 0;
    b = (b + le32(buf, p + 4)) | 0;
    c = (c + le32(buf, p + 8)) | 0;
    a = (a - c) | 0; a ^= (c << 4) | (c >>> 28); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 6) | (a >>> 26); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 8) | (b >>> 24); b = (b + a) | 0;
    a = (a - c) | 0; a ^= (c << 16) | (c >>> 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= (a << 19) | (a >>> 13); a = (a + c) | 0;
    c = (c - b) | 0; c ^= (b << 4) | (b >>> 28); b = (b + a) | 0;
    len -= 12;
    p += 12;
  }
  if (len === 0) return c >>> 0;
  // Last block (1..12 bytes): whole words where present, a partial word after.
  a = (a + (len >= 4 ? le32(buf, p) : lePart(buf, p, len))) | 0;
  if (len > 4) b = (b + (len >= 8 ? le32(buf, p + 4) : lePart(buf, p + 4, len - 4))) | 0;
  if (len > 8) c = (c + (len >= 12 ? le32(buf, p + 8) : lePart(buf, p + 8, len - 8))) | 0;
  c ^= b; c = (c - ((b << 14) | (b >>> 18))) | 0;
  a ^= c; a = (a - ((c << 11) | (c >>> 21))) | 0;
  b ^= a; b = (b - ((a << 25) | (a >>> 7))) | 0;
  c ^= b; c = (c - ((b << 16) | (b >>> 16))) | 0;
  a ^= c; a = (a - ((c << 4) | (c >>> 28))) | 0;
  b ^= a; b = (b - ((a << 14) | (a >>> 18))) | 0;
  c ^= b; c = (c - ((b << 24) | (b >>> 8))) | 0;
  return c >>> 0;
}

export function jenkins(buf: Buffer, start: number, end: number): number {
  return lookup3(buf, start, end, 13);
}
