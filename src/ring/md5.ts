// MD5 of a byte range without allocating, for the ring's hot path.
// Owns: the MD5 compression function and its padding; results land in a
// caller-given Uint32Array(4) holding the four state words, which equal the
// digest read as four little-endian uint32s (what nutcracker's md5 and ketama
// hashes take). Must not: allocate per call, convert keys to strings.
// Why hand-written: node:crypto allocates a Hash object and a digest Buffer
// per call; a lookup must not. Pinned against node:crypto in
// test/unit/ring/md5.test.ts.

const S = new Uint8Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);

// K[i] = floor(abs(sin(i + 1)) * 2^32), computed once.
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;

// Message word index used in step i.
const G = new Uint8Array(64);
for (let i = 0; i < 64; i++) {
  G[i] = i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15;
}

const W = new Int32Array(16);
const TAIL = new Uint8Array(128);

function block(st: Uint32Array, src: Uint8Array, off: number): void {
  for (let j = 0; j < 16; j++) {
    const p = off + 4 * j;
    W[j] = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
  }
  let a = st[0]! | 0;
  let b = st[1]! | 0;
  let c = st[2]! | 0;
  let d = st[3]! | 0;
  // Four loops, one per round function, so no step branches on the round.
  for (let i = 0; i < 16; i++) {
    const t = (a + ((b & c) | (~b & d)) + K[i]! + W[i]!) | 0;
    const s = S[i]!;
    a = d; d = c; c = b;
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
  }
  for (let i = 16; i < 32; i++) {
    const t = (a + ((d & b) | (~d & c)) + K[i]! + W[G[i]!]!) | 0;
    const s = S[i]!;
    a = d; d = c; c = b;
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
  }
  for (let i = 32; i < 48; i++) {
    const t = (a + (b ^ c ^ d) + K[i]! + W[G[i]!]!) | 0;
    const s = S[i]!;
    a = d; d = c; c = b;
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
  }
  for (let i = 48; i < 64; i++) {
    const t = (a + (c ^ (b | ~d)) + K[i]! + W[G[i]!]!) | 0;
    const s = S[i]!;
    a = d; d = c; c = b;
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
  }
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + b) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
}

/** MD5 of buf[start,end) into out[0..3] (digest bytes 0-3, 4-7, 8-11, 12-15 as little-endian uint32s). */
export function md5Words(buf: Uint8Array, start: number, end: number, out: Uint32Array): void {
  out[0] = 0x67452301;
  out[1] = 0xefcdab89;
  out[2] = 0x98badcfe;
  out[3] = 0x10325476;
  const len = end - start;
  let p = start;
  while (end - p >= 64) { block(out, buf, p); p += 64; }
  const rest = end - p;
  const total = rest < 56 ? 64 : 128;
  for (let i = 0; i < rest; i++) TAIL[i] = buf[p + i]!;
  TAIL[rest] = 0x80;
  TAIL.fill(0, rest + 1, total);
  // Length in bits, little-endian 64-bit (keys are far below 2^29 bytes).
  const bits = len * 8;
  TAIL[total - 8] = bits & 0xff;
  TAIL[total - 7] = (bits >>> 8) & 0xff;
  TAIL[total - 6] = (bits >>> 16) & 0xff;
  TAIL[total - 5] = (bits >>> 24) & 0xff;
  const hi = Math.floor(len / 0x20000000);
  TAIL[total - 4] = hi & 0xff;
  TAIL[total - 3] = (hi >>> 8) & 0xff;
  block(out, TAIL, 0);
  if (total === 128) block(out, TAIL, 64);
}
