// The ketama continuum as nutcracker 0.5.0 builds it (nc_ketama.c), and the
// lookup on it. Owns: points per server (float32 arithmetic, as the C code's
// `float pct`), the "<name>-<n>" point strings, their md5 words, the sorted
// point arrays and the binary search. Must not: know about hash tags,
// liveness bookkeeping or config parsing (index.ts does).
import { md5Words } from './md5.js';

const POINTS_PER_SERVER = 160;
const POINTS_PER_HASH = 4;
/** nutcracker's snprintf buffer: longer "<name>-<n>" strings are cut to 272 bytes. */
const MAX_HOSTLEN = 273;

export interface Continuum {
  /** Point values, ascending. */
  readonly values: Uint32Array;
  /** Server index (caller's numbering) of each point. */
  readonly servers: Int32Array;
  /** Top bits of a hash -> first point index whose value has those (or higher) top bits; length 2^bits + 1. */
  readonly buckets: Uint32Array;
  /** 32 - bits: how far to shift a hash to get its bucket. */
  readonly shift: number;
}

export interface KetamaMember {
  /** Bytes nutcracker hashes for the server (its name). */
  readonly name: Buffer;
  readonly weight: number;
  /** Index to report for this server's points. */
  readonly index: number;
}

/**
 * How many points a live server gets: floorf(pct * 160 / 4 * nlive + 1e-10) * 4
 * with pct = (float)weight / (float)totalWeight, every step rounded to float32
 * as gcc on x86-64 does (the 1e-10 is a double, so that addition is in double
 * and the sum is cast back to float before floorf).
 */
export function ketamaPointCount(weight: number, totalWeight: number, nlive: number): number {
  const f = Math.fround;
  const pct = f(f(weight) / f(totalWeight));
  const scaled = f(f(f(pct * POINTS_PER_SERVER) / POINTS_PER_HASH) * f(nlive));
  return Math.floor(f(scaled + 0.0000000001)) * POINTS_PER_HASH;
}

/**
 * Continuum for the live members, given in nutcracker's server order (sorted
 * by name). `pointCount` is replaceable only so tests can show what a
 * double-precision count would change.
 */
export function buildContinuum(live: readonly KetamaMember[], pointCount = ketamaPointCount): Continuum {
  let totalWeight = 0;
  for (const m of live) totalWeight += m.weight;
  const vals: number[] = [];
  const owners: number[] = [];
  const words = new Uint32Array(4);
  for (const m of live) {
    const n = pointCount(m.weight, totalWeight, live.length) / POINTS_PER_HASH;
    for (let i = 0; i < n; i++) {
      let host = Buffer.concat([m.name, Buffer.from(`-${i}`, 'latin1')]);
      if (host.length >= MAX_HOSTLEN) host = host.subarray(0, MAX_HOSTLEN - 1);
      md5Words(host, 0, host.length, words);
      for (let x = 0; x < POINTS_PER_HASH; x++) { vals.push(words[x]!); owners.push(m.index); }
    }
  }
  // Stable sort by value: equal values (a 32-bit collision, rare) keep build
  // order, as glibc's merge-sort qsort does.
  const order = vals.map((_, i) => i).sort((x, y) => vals[x]! - vals[y]! || x - y);
  const values = new Uint32Array(order.length);
  const servers = new Int32Array(order.length);
  order.forEach((o, i) => { values[i] = vals[o]!; servers[i] = owners[o]!; });
  // A bucket table over the hash's top bits narrows each binary search to the
  // one or two points of a bucket: a plain search over thousands of points
  // costs a dozen mispredicted branches per lookup.
  const bits = Math.min(16, Math.max(4, Math.ceil(Math.log2(Math.max(1, values.length))) + 1));
  const shift = 32 - bits;
  const buckets = new Uint32Array((1 << bits) + 1);
  let p = 0;
  for (let b = 0; b < buckets.length - 1; b++) {
    while (p < values.length && values[p]! >>> shift < b) p++;
    buckets[b] = p;
  }
  buckets[buckets.length - 1] = values.length;
  return { values, servers, buckets, shift };
}

/** Server of the first point >= the hash (its 32 bits, signed or not), wrapping to the first point. */
export function ketamaLookup(c: Continuum, hashBits: number): number {
  const hash = hashBits >>> 0;
  const v = c.values;
  const b = hash >>> c.shift;
  let lo = c.buckets[b]!;
  let hi = c.buckets[b + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v[mid]! < hash) lo = mid + 1;
    else hi = mid;
  }
  return c.servers[lo === v.length ? 0 : lo]!;
}
