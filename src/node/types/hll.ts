// HyperLogLog in Redis's own string format (src/hyperloglog.c of redis 7.0), so
// a key's bytes and counts equal redis-server's for the same inputs: 16-byte
// header "HYLL", encoding (0 dense, 1 sparse), 3 zero bytes, cached
// cardinality (8 bytes little endian, top bit set = stale); 2^14 six-bit
// registers; MurmurHash64A with seed 0xadc83b19; the sparse opcodes ZERO
// (00xxxxxx), XZERO (01xxxxxx xxxxxxxx) and VAL (1vvvvvxx); sparse promoted to
// dense past 3000 bytes (hll-sparse-max-bytes) or for a register over 32;
// the estimator of Ertl's "New cardinality estimation algorithms for
// HyperLogLog sketches" as Redis implements it. Pure: bytes in, bytes out.
//
// Every function that edits the sparse form mirrors Redis's edit step by step
// (including its merge of adjacent equal VAL runs, limited to 5 opcodes),
// because the stored bytes are compared with redis-server's.

export const HDR = 16;
export const P = 14;
export const REGISTERS = 1 << P;
export const DENSE_SIZE = HDR + ((REGISTERS * 6 + 7) >> 3);
export const SPARSE_MAX_BYTES = 3000;
export const DENSE = 0;
export const SPARSE = 1;
const Q = 64 - P;
const VAL_MAX_VALUE = 32;
const VAL_MAX_LEN = 4;
const ZERO_MAX_LEN = 64;
const XZERO_MAX_LEN = 16384;
const ALPHA_INF = 0.721347520444481703680;

// ---- hash ----
const M = 0xc6a4a7935bd1e995n;
const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** Redis's MurmurHash64A (endian-neutral variant). */
export function murmur64a(d: Uint8Array, seed: number): bigint {
  const len = d.length;
  let h = BigInt(seed) ^ U64(BigInt(len) * M);
  const n8 = len - (len & 7);
  for (let i = 0; i < n8; i += 8) {
    const lo = (d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24)) >>> 0;
    const hi = (d[i + 4]! | (d[i + 5]! << 8) | (d[i + 6]! << 16) | (d[i + 7]! << 24)) >>> 0;
    let k = (BigInt(hi) << 32n) | BigInt(lo);
    k = U64(k * M);
    k ^= k >> 47n;
    k = U64(k * M);
    h ^= k;
    h = U64(h * M);
  }
  const t = len & 7;
  if (t !== 0) {
    for (let j = t - 1; j >= 0; j--) h ^= BigInt(d[n8 + j]!) << BigInt(8 * j);
    h = U64(h * M);
  }
  h ^= h >> 47n;
  h = U64(h * M);
  h ^= h >> 47n;
  return h;
}

/** [register index, run length of the 00..1 pattern] of an element (hllPatLen). */
export function patLen(ele: Uint8Array): [number, number] {
  const h = murmur64a(ele, 0xadc83b19);
  const index = Number(h & BigInt(REGISTERS - 1));
  const rest = (h >> BigInt(P)) | (1n << BigInt(Q));
  const lo = Number(rest & 0xffffffffn);
  const hi = Number(rest >> 32n);
  const ctz = (x: number): number => 31 - Math.clz32(x & -x);
  return [index, (lo !== 0 ? ctz(lo) : 32 + ctz(hi)) + 1];
}

// ---- header ----
export function isValid(v: Uint8Array): boolean {
  if (v.length < HDR) return false;
  if (v[0] !== 0x48 || v[1] !== 0x59 || v[2] !== 0x4c || v[3] !== 0x4c) return false;
  if (v[4]! > SPARSE) return false;
  return !(v[4] === DENSE && v.length !== DENSE_SIZE);
}

export const invalidateCache = (v: Uint8Array): void => { v[15] = v[15]! | 0x80; };
export const cacheValid = (v: Uint8Array): boolean => (v[15]! & 0x80) === 0;
export function readCache(v: Uint8Array): number {
  let n = 0;
  for (let i = 7; i >= 0; i--) n = n * 256 + v[8 + i]!;
  return n;
}
export function writeCache(v: Uint8Array, card: number): void {
  let n = card;
  for (let i = 0; i < 8; i++) { v[8 + i] = n % 256; n = Math.floor(n / 256); }
}

/** A new, empty HLL: sparse, one XZERO covering all registers, cached cardinality 0. */
export function create(): Uint8Array {
  const v = new Uint8Array(HDR + 2);
  v.set([0x48, 0x59, 0x4c, 0x4c, SPARSE]);
  const l = XZERO_MAX_LEN - 1;
  v[HDR] = (l >> 8) | 0x40;
  v[HDR + 1] = l & 0xff;
  return v;
}

// ---- dense ----
export function denseGet(r: Uint8Array, at: number, i: number): number {
  const bit = i * 6;
  const byte = at + (bit >> 3);
  const fb = bit & 7;
  const b0 = r[byte]!;
  const b1 = byte + 1 < r.length ? r[byte + 1]! : 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & 63;
}

export function denseSetRaw(r: Uint8Array, at: number, i: number, val: number): void {
  const bit = i * 6;
  const byte = at + (bit >> 3);
  const fb = bit & 7;
  r[byte] = (r[byte]! & ~(63 << fb)) | ((val << fb) & 0xff);
  if (byte + 1 < r.length) r[byte + 1] = (r[byte + 1]! & ~(63 >> (8 - fb))) | (val >> (8 - fb));
}

/** hllDenseSet on a dense HLL v: 1 when the register grew. */
export function denseSet(v: Uint8Array, i: number, count: number): number {
  if (count > denseGet(v, HDR, i)) { denseSetRaw(v, HDR, i, count); return 1; }
  return 0;
}

// ---- sparse ----
const isZero = (b: number): boolean => (b & 0xc0) === 0;
const isXZero = (b: number): boolean => (b & 0xc0) === 0x40;
const zeroLen = (b: number): number => (b & 0x3f) + 1;
const xzeroLen = (b: number, b2: number): number => (((b & 0x3f) << 8) | b2) + 1;
const valValue = (b: number): number => ((b >> 2) & 0x1f) + 1;
const valLen = (b: number): number => (b & 3) + 1;
const valByte = (val: number, len: number): number => (((val - 1) << 2) | (len - 1)) | 0x80;

/**
 * Walk a sparse HLL's runs in register order: visit(first register, run length, value — 0 for the
 * ZERO and XZERO opcodes). False when corrupt: the runs do not cover exactly REGISTERS registers.
 */
function eachSparseRun(s: Uint8Array, visit: (first: number, run: number, val: number) => void): boolean {
  let idx = 0;
  for (let p = HDR; p < s.length;) {
    const b = s[p]!;
    let run: number;
    let val = 0;
    if (isZero(b)) { run = zeroLen(b); p++; }
    else if (isXZero(b)) { run = xzeroLen(b, s[p + 1]!); p += 2; }
    else { run = valLen(b); val = valValue(b); p++; }
    if (idx + run > REGISTERS) return false;
    visit(idx, run, val);
    idx += run;
  }
  return idx === REGISTERS;
}

/** The dense form of a sparse HLL (header copied, encoding dense), or null when corrupt. */
export function sparseToDense(s: Uint8Array): Uint8Array | null {
  const d = new Uint8Array(DENSE_SIZE);
  d.set(s.subarray(0, HDR));
  d[4] = DENSE;
  const ok = eachSparseRun(s, (first, run, val) => { if (val > 0) for (let i = first; i < first + run; i++) denseSetRaw(d, HDR, i, val); });
  return ok ? d : null;
}

/**
 * hllSparseSet: s[0, len) is a sparse HLL in a scratch buffer with at least 3 spare bytes.
 * Returns [result, new length]: 1 changed, 0 unchanged, -1 corrupt, 2 must be promoted to dense first.
 */
export function sparseSet(s: Uint8Array, len: number, index: number, count: number): [number, number] {
  if (count > VAL_MAX_VALUE) return [2, len];
  let end = len;
  let p = HDR;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const b = s[p]!;
    let oplen = 1;
    if (isZero(b)) span = zeroLen(b);
    else if (!isXZero(b)) span = valLen(b);
    else { span = xzeroLen(b, s[p + 1]!); oplen = 2; }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return [-1, len];
  const b = s[p]!;
  let next = isXZero(b) ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const zero = isZero(b); const xzero = isXZero(b); const val = !zero && !xzero;
  const runlen = zero ? zeroLen(b) : xzero ? xzeroLen(b, s[p + 1]!) : valLen(b);
  let simple = false;
  if (val) {
    if (valValue(b) >= count) return [0, len];
    if (runlen === 1) { s[p] = valByte(count, 1); simple = true; }
  }
  if (!simple && zero && runlen === 1) { s[p] = valByte(count, 1); simple = true; }
  if (!simple) {
    const seq: number[] = [];
    const last = first + span - 1;
    const zeros = (n: number): void => { if (n > ZERO_MAX_LEN) seq.push(((n - 1) >> 8) | 0x40, (n - 1) & 0xff); else seq.push(n - 1); };
    if (zero || xzero) {
      if (index !== first) zeros(index - first);
      seq.push(valByte(count, 1));
      if (index !== last) zeros(last - index);
    } else {
      const cur = valValue(b);
      if (index !== first) seq.push(valByte(cur, index - first));
      seq.push(valByte(count, 1));
      if (index !== last) seq.push(valByte(cur, last - index));
    }
    const oldlen = xzero ? 2 : 1;
    const delta = seq.length - oldlen;
    if (delta > 0 && len + delta > SPARSE_MAX_BYTES) return [2, len];
    if (delta !== 0 && next !== -1) s.copyWithin(next + delta, next, end);
    len += delta;
    for (let i = 0; i < seq.length; i++) s[p + i] = seq[i]!;
    end += delta;
  }
  // merge adjacent VAL opcodes of equal value, scanning up to 5 opcodes from prev
  p = prev >= 0 ? prev : HDR;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const c = s[p]!;
    if (isXZero(c)) { p += 2; continue; }
    if (isZero(c)) { p++; continue; }
    if (p + 1 < end && (s[p + 1]! & 0x80) !== 0) {
      const v1 = valValue(c); const v2 = valValue(s[p + 1]!);
      if (v1 === v2) {
        const l = valLen(c) + valLen(s[p + 1]!);
        if (l <= VAL_MAX_LEN) {
          s[p + 1] = valByte(v1, l);
          s.copyWithin(p, p + 1, end);
          len--; end--;
          continue;
        }
      }
    }
    p++;
  }
  invalidateCache(s);
  return [1, len];
}

// ---- counting and merging ----
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zp: number; let y = 1; let z = x;
  do { x *= x; zp = z; z += x * y; y += y; } while (zp !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zp: number; let y = 1.0; let z = 1 - x;
  do { x = Math.sqrt(x); zp = z; y *= 0.5; const d = 1 - x; z -= d * d * y; } while (zp !== z);
  return z / 3;
}

/** The estimate from a register histogram (hllCount). */
export function estimate(histo: number[]): number {
  const m = REGISTERS;
  let z = m * tau((m - histo[Q + 1]!) / m);
  for (let j = Q; j >= 1; --j) { z += histo[j]!; z *= 0.5; }
  z += m * sigma(histo[0]! / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

/** Register histogram of a valid HLL, or null when a sparse one is corrupt. */
export function histogram(v: Uint8Array): number[] | null {
  const h = new Array<number>(64).fill(0);
  if (v[4] === DENSE) { for (let i = 0; i < REGISTERS; i++) h[denseGet(v, HDR, i)]!++; return h; }
  return eachSparseRun(v, (_first, run, val) => { h[val]! += run; }) ? h : null;
}

export function histogramRaw(max: Uint8Array): number[] {
  const h = new Array<number>(64).fill(0);
  for (let i = 0; i < REGISTERS; i++) h[max[i]!]!++;
  return h;
}

/** hllMerge: raise max[] (one byte per register) to v's registers; false when corrupt. */
export function mergeInto(max: Uint8Array, v: Uint8Array): boolean {
  if (v[4] === DENSE) {
    for (let i = 0; i < REGISTERS; i++) { const r = denseGet(v, HDR, i); if (r > max[i]!) max[i] = r; }
    return true;
  }
  return eachSparseRun(v, (first, run, val) => { if (val > 0) for (let i = first; i < first + run; i++) if (val > max[i]!) max[i] = val; });
}
